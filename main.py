"""Start dropviz from a checkout: `python main.py` opens the window, `python main.py --help` lists
the command line (`python main.py --headless ...`, the form older scripts use, still trains)."""

import sys

from dropviz.app import main

if __name__ == "__main__":
    sys.exit(main(prog="main.py"))
