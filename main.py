"""Start dropviz: `python main.py` opens the window, `python main.py --headless --help` for the CLI."""

import sys

from dropviz.app import main

if __name__ == "__main__":
    sys.exit(main())
