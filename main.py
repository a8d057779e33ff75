"""Start dropviz from a checkout: `python main.py` opens the window, `python main.py --help` lists
the command line (`python main.py --headless ...`, the form older scripts use, still trains)."""

from dropviz.app import run

if __name__ == "__main__":
    run(prog="main.py")
