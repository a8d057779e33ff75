"""dropviz: watch dropout regularise a small neural network while it trains.

From a notebook or a script (see dropviz/api.py and README's "Python API"):

    import dropviz
    run = dropviz.train(dropviz.Config().with_overrides(["dropout.hidden=0.5"]), steps=500)

The API's names are looked up in dropviz.api on first use, so `import dropviz` loads nothing
else, least of all PyTensor (measured: 3 to 8 ms, where importing the trainer takes 1.5 s
or more).
"""

from dropviz.version import __version__

_API = ("Config", "Preset", "TrainedRun", "TrainingDiverged", "load", "load_config", "preset",
        "presets", "sweep", "train")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> object:
    if name in _API:
        from dropviz import api

        return getattr(api, name)
    raise AttributeError(f"module 'dropviz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
