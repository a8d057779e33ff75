"""Shared fixtures: one pool of compiled networks for the whole session, Qt offscreen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from dropviz.model.trainer import NetworkPool


@pytest.fixture(scope="session")
def pool() -> NetworkPool:
    """Compiled networks reused across tests: each architecture compiles once per session."""
    return NetworkPool()
