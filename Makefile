# `make run` and `make test` set up .venv themselves on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test wheel-check install-desktop lint bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

# Two processes (CI has two cores), each given whole files: a file's tests share the networks its
# first test compiles, so none is compiled in both (--dist loadfile, pytest-xdist).
TEST_WORKERS ?= 2

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The wheel in a fresh virtual environment with its declared dependencies, used from outside the
# source tree: a headless run, a preset, an ONNX export, the window (scripts/wheel_check.py).
wheel-check: $(STAMP)
	$(PY) scripts/wheel_check.py

# dropviz.desktop and the icon in the user's XDG data folder: dropviz in the applications menu.
install-desktop: $(STAMP)
	$(PY) -m dropviz.desktop

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
