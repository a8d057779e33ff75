"""Shared fixtures: one pool of compiled networks for the whole session, Qt offscreen."""

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from dropviz.logs import LOG_DIR_VARIABLE
from dropviz.model.data.dataset_cache import CACHE_DIR_VARIABLE
from dropviz.model.trainer import NetworkPool

# The helper modules beside the tests assert too: pytest explains their failures only if it
# rewrites them, which it does by itself for test files and conftests alone.
pytest.register_assert_rewrite("weights_check", "file_fuzzing", "preset_claims", "run_checks",
                               "alone", "closing_moments", "file_helpers", "soak_checks",
                               "soak_driver", "ui_helpers")


@pytest.fixture(scope="session", autouse=True)
def dataset_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Datasets the tests build are cached here, not in the user's cache; subprocesses inherit it."""
    folder = tmp_path_factory.mktemp("cache")
    os.environ[CACHE_DIR_VARIABLE] = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def log_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Errors of windows the tests open (and their subprocesses) go here, not to the user's log."""
    folder = tmp_path_factory.mktemp("log")
    os.environ[LOG_DIR_VARIABLE] = str(folder)
    return folder


@pytest.fixture(scope="session")
def pool() -> NetworkPool:
    """Compiled networks reused across tests: each architecture compiles once per session."""
    return NetworkPool()
