"""The PyQt5 window: control panels, pyqtgraph views and the worker thread that owns the trainer."""
