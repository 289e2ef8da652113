"""Shared fixtures: where the real-world corpora live, and the local servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from crawler.pywb_server import PywbServer, find_pywb_python
from pipelines.datadir import shared_data_dir
from pipelines.storage.warcbuild import build_warc, load_spec

# the fault suite's one summary line at the end of the run (tests/faults/report.py)
from tests.faults.report import pytest_terminal_summary  # noqa: F401

# CI must not fail at random: explore deterministically there, randomly on developer machines
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real-world corpora not found: set POLICYARCHIVE_DATA or put ../shared/data")
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pywb replaying the fixture archive (tests/fixtures/archive/spec.json), per module."""
    if find_pywb_python() is None:
        pytest.fail("pywb's virtualenv is missing: run `make setup` (it creates .venv-pywb)")
    work = tmp_path_factory.mktemp("pywb")
    warc = work / "fixtures.warc.gz"
    build_warc(load_spec(FIXTURES / "archive" / "spec.json"), warc)
    with PywbServer([warc], work / "root") as server:
        yield server.start()
