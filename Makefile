# `make run` and `make test` set up .venv themselves on a fresh machine; `make run` then warms the
# compile caches once per virtual environment (`make warm`, dropviz/warm.py): a few minutes, after
# which a network never built before trains within about a second. `make test` does not wait for it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WARMED := $(VENV)/.warmed

.PHONY: run warm test wheel-check install-desktop lint bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Redone when the venv is rebuilt, the warm-up changes or the quick twins' operations do (the mark's
# name in compile_aside.py). A failed warm-up (its error is one line) does not keep the app from
# starting: the networks then compile when first built, and the next `make run` tries again.
$(WARMED): $(STAMP) dropviz/warm.py dropviz/model/graph/compile_aside.py
	$(PY) -m dropviz.warm && touch $(WARMED) || true

run: $(WARMED)
	$(PY) main.py

warm: $(STAMP)
	$(PY) -m dropviz.warm
	touch $(WARMED)

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

# The quick start (issue 16) measures in fresh compile folders: about 25 minutes more.
bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/quick_start.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
