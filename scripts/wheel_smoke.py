"""What a user of the installed wheel does first, checked: run by scripts/wheel_check.py.

It runs with the fresh environment's Python, isolated (`python -I`, so neither this folder nor the
source tree is importable) from an empty folder FOLDER, and uses the `dropviz` command installed
beside that Python. Each check prints its time. The networks are small (one layer of 16 units, and
the first preset's two of 64) and PyTensor's compile cache (~/.pytensor) is shared with the source
tree's runs, which train them too, so the checks cost seconds, not compiles.

Usage: python -I wheel_smoke.py FOLDER
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version as package_version
from pathlib import Path

BIN = Path(sys.executable).parent
COMMAND = BIN / "dropviz"
SMALL = ["--set", "hidden_layers=[16]", "--steps", "20", "--eval-every", "10"]
WINDOW = """
import sys
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication
from dropviz.app import main
from dropviz.ui.main_window import MainWindow

app = QApplication(sys.argv[:1])
icon_ok = []


def close_once_shown():
    for widget in app.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.last_snapshot is not None:
            icon_ok.append(not app.windowIcon().isNull())
            widget.close()


timer = QTimer()
timer.timeout.connect(close_once_shown)
timer.start(100)
QTimer.singleShot(180_000, lambda: app.exit(3))  # never built and drew the network
code = main([])
print("icon", icon_ok[:1])
sys.exit(code)
"""


def dropviz(*arguments: str | Path, timeout: float = 300) -> str:
    """The installed command's stdout; a failure raises with its stderr."""
    done = subprocess.run([str(COMMAND), *map(str, arguments)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"dropviz {' '.join(map(str, arguments))} exited {done.returncode}:\n"
                             f"{done.stderr}")
    return done.stdout


def installed_not_source(_: Path) -> None:
    import dropviz

    assert Path(dropviz.__file__).is_relative_to(sys.prefix), dropviz.__file__
    assert package_version("dropviz") == dropviz.__version__


def presets_and_sample_data(_: Path) -> None:
    from dropviz.model.data.csv_loader import load_csv
    from dropviz.model.presets import PRESETS_FOLDER, load_presets
    from dropviz.resources import sample_csv_path

    assert PRESETS_FOLDER.is_relative_to(sys.prefix), PRESETS_FOLDER
    source = Path(__file__).resolve().parent.parent / "dropviz" / "assets" / "presets"
    assert len(load_presets()) == len(list(source.glob("*.json"))), "every preset of the source"
    assert len(load_csv(sample_csv_path(), "species").classes) == 3


def headless_run_and_onnx_export(folder: Path) -> None:
    import onnx

    from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES

    dropviz("--headless", *SMALL, "--out", folder / "first")
    missing = [name for name in (*RUN_FILES, EXPERIMENT_FILE) if not (folder / "first" / name).is_file()]
    assert not missing, f"the run lacks {missing}"
    model = onnx.load(folder / "first" / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert [output.name for output in model.graph.output] == ["probabilities"]


def version(_: Path) -> None:
    assert dropviz("--version") == f"dropviz {package_version('dropviz')}\n"


def help_before_heavy_imports(_: Path) -> None:
    """`python -m dropviz --help` prints the whole help without loading PyTensor or numpy."""
    done = subprocess.run([sys.executable, "-I", "-X", "importtime", "-m", "dropviz", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: python -m dropviz "), done.stdout[:200]
    assert "settings (--set KEY=VALUE" in done.stdout and "examples:" in done.stdout
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
              if line.startswith("import time:")}
    assert not loaded & {"pytensor", "numpy"}, sorted(loaded & {"pytensor", "numpy"})


def preset_run(folder: Path) -> None:
    """The first preset, by its name, from the installed package's data, trained by the command."""
    from dropviz.model.config import Config
    from dropviz.model.presets import load_presets

    first = load_presets()[0]
    dropviz("--preset", first.key, "--steps", "20", "--out", folder / "preset")
    written = Config.load(folder / "preset" / "config.json")
    assert written == first.config.with_overrides(["steps=20"]), written
    assert (folder / "preset" / "model.onnx").is_file()


def window(folder: Path) -> None:
    done = subprocess.run([sys.executable, "-I", "-c", WINDOW], capture_output=True, text=True,
                          timeout=300, cwd=folder)
    assert done.returncode == 0, f"the window exited {done.returncode}:\n{done.stderr}"
    assert "icon [True]" in done.stdout, done.stdout
    log = Path(os.environ["DROPVIZ_LOG_DIR"]) / "dropviz.log"  # set by wheel_check.py
    assert not log.exists(), f"the window logged errors:\n{log.read_text(encoding='utf-8')}"


def desktop_entry(_: Path) -> None:
    subprocess.run([sys.executable, "-I", "-m", "dropviz.desktop"], check=True, capture_output=True)
    from dropviz.desktop import data_folder

    text = (data_folder() / "applications" / "dropviz.desktop").read_text(encoding="utf-8")
    assert f'Exec="{COMMAND}"' in text, text


CHECKS: tuple[Callable[[Path], None], ...] = (
    installed_not_source, presets_and_sample_data, version, help_before_heavy_imports,
    headless_run_and_onnx_export, preset_run, window, desktop_entry)


def main() -> int:
    folder = Path(sys.argv[1])
    for check in CHECKS:
        started = time.perf_counter()
        try:
            check(folder)
        except AssertionError as error:
            print(f"wheel smoke test: {check.__name__} FAILED: {error}", file=sys.stderr)
            return 1
        print(f"  {check.__name__}: ok ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
