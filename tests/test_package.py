"""The package carries what it reads: assets as package data, and every library it imports declared.

`make test` installs dropviz editable, where neither would show: the assets sit beside the source
and pyproject's dependency list is never resolved. `make wheel-check` (run by CI) installs the real
wheel; these tests catch the same mistakes in a second, from the source tree.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
import tomllib
from importlib.metadata import packages_distributions
from importlib.resources import files
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from PyQt5.QtGui import QIcon

import dropviz
from dropviz.model.data.csv_loader import load_csv
from dropviz.model.presets import PRESETS_FOLDER, load_presets
from dropviz.resources import asset_path, icon_path, sample_csv_path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(dropviz.__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared(requirements: list[str]) -> dict[str, Requirement]:
    parsed = (Requirement(text) for text in requirements)
    return {canonicalize_name(requirement.name): requirement for requirement in parsed}


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, by canonical name; other lines are skipped."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, version = line.partition("==")
        if separator:
            found[canonicalize_name(name)] = version.strip()
    return found


def test_the_presets_load_from_the_package():
    assert Path(str(files("dropviz") / "assets" / "presets")) == PRESETS_FOLDER
    assert PRESETS_FOLDER.is_relative_to(PACKAGE)
    assert [preset.key for preset in load_presets()] == sorted(
        path.stem for path in PRESETS_FOLDER.glob("*.json"))
    assert not (ROOT / "assets").exists()  # one copy: the one in the package


def test_the_sample_data_loads_from_the_package():
    path = sample_csv_path()
    assert path.is_relative_to(PACKAGE)
    table = load_csv(path, "species")
    assert table.classes == ("Iris setosa", "Iris versicolor", "Iris virginica")
    assert table.X.shape[0] == table.report.rows_kept > 100


def test_the_icon_is_an_svg_qt_can_draw(qapp):
    assert icon_path().is_relative_to(PACKAGE)
    assert icon_path().read_text(encoding="utf-8").startswith("<svg ")
    assert not QIcon(str(icon_path())).pixmap(64, 64).isNull()


def test_every_asset_is_declared_package_data():
    """setuptools leaves out of the wheel any file under dropviz/assets that no pattern names."""
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["dropviz"]
    assets = [path.relative_to(PACKAGE).as_posix() for path in asset_path().rglob("*") if path.is_file()]
    assert len(assets) >= 10  # eight presets, the sample CSV, the icon
    missing = [name for name in assets if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert not missing


def imported_top_level_modules() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"dropviz"}


def test_every_library_the_code_imports_is_a_declared_dependency():
    dependencies = declared(PYPROJECT["project"]["dependencies"])
    distributions = packages_distributions()
    for module in sorted(imported_top_level_modules()):
        owners = {canonicalize_name(name) for name in distributions.get(module, [])}
        assert owners & dependencies.keys(), f"{module} is imported but no dependency provides it"


@pytest.mark.parametrize(("requirements", "extra"), [("requirements.txt", None),
                                                     ("requirements-dev.txt", "dev")])
def test_the_pins_are_exact_and_within_the_declared_bounds(requirements, extra):
    project = PYPROJECT["project"]
    dependencies = declared(project["optional-dependencies"][extra] if extra else project["dependencies"])
    pinned = pins(ROOT / requirements)
    for name, requirement in dependencies.items():
        assert requirement.specifier, f"{name} has no version bounds"
        assert any(spec.operator == "<" for spec in requirement.specifier), f"{name} has no ceiling"
        assert name in pinned, f"{requirements} does not pin {name}"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is out of bounds"


def test_the_bench_extra_is_the_dev_extra_and_what_requirements_bench_pins():
    bench = declared(PYPROJECT["project"]["optional-dependencies"]["bench"])
    assert "dev" in bench["dropviz"].extras
    for name, version in pins(ROOT / "requirements-bench.txt").items():
        assert bench[name].specifier.contains(version)


def test_the_version_has_one_source():
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dropviz.version.__version__"}
