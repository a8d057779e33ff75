"""Files that ship inside the package: the presets, the sample data and the icon.

They live in dropviz/assets/ and are found through importlib.resources, so a wheel installed with
`pip install dropviz-*.whl` finds them in site-packages just as a source checkout finds them beside
the code. A folder next to the repository (the old `assets/`) was missing from every wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def asset_path(*parts: str) -> Path:
    """The file or folder `parts` under dropviz/assets, as a path on disk.

    pip installs a wheel unpacked, where importlib.resources hands out real paths. A path (not a
    Traversable) is what the callers need: the presets are read as a folder and Qt opens the icon
    by its file name.
    """
    return Path(str(files("dropviz").joinpath("assets", *parts)))


def sample_csv_path() -> Path:
    """A small real CSV file (iris field samples, label column `species`) to try the loader on."""
    return asset_path("sample_data", "iris_field_samples.csv")


def icon_path() -> Path:
    """The application's icon, an SVG that Qt and the desktop's icon theme both scale."""
    return asset_path("icons", "dropviz.svg")
