"""`python -m dropviz`: the same as the `dropviz` command."""

from dropviz.app import run

if __name__ == "__main__":
    run(prog="python -m dropviz")
