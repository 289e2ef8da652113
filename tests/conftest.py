"""Shared fixtures: where the real-world corpora live, and the local servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI must not fail at random: explore deterministically there, randomly on developer machines
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The real-world corpora: $POLICYARCHIVE_DATA, else ../shared/data beside the repo."""
    env = os.environ.get("POLICYARCHIVE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for c in candidates:
        if (c / "opp115").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real-world corpora not found: set POLICYARCHIVE_DATA or put ../shared/data")
    return path
