"""`python -m dropviz`: the same as the `dropviz` command."""

import sys

from dropviz.app import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m dropviz"))
