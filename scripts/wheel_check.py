"""Build the wheel, install it into a fresh virtual environment, and run the smoke test from there.

`make test` installs dropviz editable without its dependencies: the assets are found beside the
source and pyproject's dependency list is never resolved, so a wheel without its package data or a
library the code imports but does not declare passed every test. This check (`make wheel-check`,
run by CI after `make test`):

1. copies the work tree's files (tracked and new ones, as git lists them) to a temporary folder
   and builds the wheel there, so a stale build/ folder cannot leak old modules into it;
2. makes a fresh virtual environment and installs the wheel with its declared dependencies, held
   to requirements.txt's pins as constraints: pip takes the versions the tests ran on (mostly from
   its cache), yet installs nothing that pyproject does not ask for;
3. runs scripts/wheel_smoke.py with that environment's Python, isolated (-I) and in an empty
   folder, so nothing of the source tree can be imported.

Usage: python scripts/wheel_check.py [--keep]   (--keep leaves the temporary folder for a look)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from pathlib import Path

from wheel_smoke import CHECKS

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "scripts" / "wheel_smoke.py"
# What a wheel must carry besides the modules: pyproject's package-data.
REQUIRED_DATA = ("dropviz/assets/presets/01_overfit_tiny.json",
                 "dropviz/assets/sample_data/iris_field_samples.csv",
                 "dropviz/assets/icons/dropviz.svg")


def run(command: list[str | Path], **options: object) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **options)


def copy_work_tree(target: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is still listed
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def build_wheel(work: Path) -> Path:
    source, dist = work / "source", work / "dist"
    copy_work_tree(source)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, source])
    (wheel,) = dist.glob("dropviz-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in REQUIRED_DATA if name not in names]
    if missing:
        raise SystemExit(f"wheel-check: {wheel.name} lacks {', '.join(missing)}")
    if any(name.startswith(("tests/", "scripts/", "benchmarks/")) for name in names):
        raise SystemExit(f"wheel-check: {wheel.name} carries the tests, scripts or benchmarks")
    return wheel


def install(wheel: Path, environment: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    python = environment / "bin" / "python"
    # -qq: errors only (this machine's pip configuration warns about each local index it skips).
    # --no-compile: byte-compiling every installed module was half of pip's CPU time (33 of 69 s);
    # the smoke runs write the bytecode of the modules they import (smoke_environment).
    run([python, "-m", "pip", "install", "-qq", "--disable-pip-version-check", "--no-compile",
         "--constraint", ROOT / "requirements.txt", wheel])
    return python


def smoke_environment(work: Path) -> dict[str, str]:
    """The user's environment without anything that points into the source tree or its .venv;
    every folder dropviz writes to is under `work`; the PyTensor compile cache stays shared.

    Bytecode is written, as by default: the environment was installed without it, and without
    it each smoke process compiled its imports from source again (8 s of CPU for a run's imports).
    """
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"}}
    environment.update(QT_QPA_PLATFORM="offscreen", PYTHONNOUSERSITE="1",
                       DROPVIZ_CACHE_DIR=str(work / "cache"), DROPVIZ_LOG_DIR=str(work / "logs"),
                       XDG_CONFIG_HOME=str(work / "config"), XDG_DATA_HOME=str(work / "data"))
    return environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dropviz-wheel-check-"))
    started = time.perf_counter()
    try:
        wheel = build_wheel(work)
        print(f"wheel-check: built {wheel.name} ({time.perf_counter() - started:.0f} s)", flush=True)
        python = install(wheel, work / "venv")
        print(f"wheel-check: installed ({time.perf_counter() - started:.0f} s)", flush=True)
        (work / "run").mkdir()
        run([python, "-I", SMOKE, work / "run"], cwd=work / "run", env=smoke_environment(work))
    except subprocess.CalledProcessError as error:
        print(f"wheel-check: failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"wheel-check: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wheel-check: {time.perf_counter() - started:.0f} s in all")
    # The build and the install, then each smoke check: the plain count line CI reads.
    print(f"wheel-check: {2 + len(CHECKS)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
