"""dropviz's version, in a module of its own so that model/ and the CLI can name it without
importing the package's API (dropviz/__init__.py looks its names up in dropviz.api)."""

__version__ = "0.1.0"
