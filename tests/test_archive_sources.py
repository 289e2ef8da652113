"""End to end: the Wayback spider against Common Crawl–shaped and Memento-shaped servers,
alone, faulty, and several archives in one run (tests/archive_servers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipelines.storage.warcbuild import CaptureSpec, load_spec
from tests.archive_servers import (
    CcIndexServer,
    RangeDataServer,
    TimeMapServer,
    build_cc_collection,
)
from tests.crawl import read, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
CAPS = load_spec(FIXTURES / "archive" / "spec.json")
EXPECTED = json.loads((FIXTURES / "archive" / "expected.json").read_text())
EXPECTED_OK = {
    (site, period): cell
    for site, periods in EXPECTED["sites"].items()
    for period, cell in periods.items()
    if cell["outcome"] == "ok"
}
# the one period whose expected capture is chosen over a nearer *revisit* record: these
# archives hold (or serve) that revisit as a plain capture, which is then the nearest
FAST_BACKOFF = [
    "-s",
    "RETRY_TIMES=1",
    "-s",
    "POLICYARCHIVE_BACKOFF_BASE=0.05",
    "-s",
    "POLICYARCHIVE_BREAKER_COOLDOWN=0.1",
    "-s",
    "POLICYARCHIVE_BREAKER_MAX_TRIPS=100",
]
REVISIT_PERIODS = {("alpha.example", "2009H2"): "20091115093000"}


def wayback(
    out: Path, *archive_args: str, years: tuple[str, str] = ("2005", "2014")
) -> pd.DataFrame:
    proc = run_cli(
        "wayback",
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        years[0],
        "--to",
        years[1],
        "--out",
        str(out),
        "--workers",
        "0",
        *archive_args,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return read(out, "policies")


def assert_expected(policies: pd.DataFrame) -> None:
    got = {(r.site, r.snapshot): r for r in policies.itertuples()}
    assert set(got) == set(EXPECTED_OK)
    for key, cell in EXPECTED_OK.items():
        row = got[key]
        ts = REVISIT_PERIODS.get(key, cell["timestamp"])
        assert row.captured_at.strftime("%Y%m%d%H%M%S") == ts, key
        assert row.policy_url == cell["policy_url"], key
        assert row.discovered_by == cell["discovered_by"], key
        assert row.word_count > 300


@pytest.fixture(scope="module")
def cc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CcIndexServer, RangeDataServer]]:
    root = tmp_path_factory.mktemp("cc")
    index = build_cc_collection(CAPS, root)
    with CcIndexServer(index) as idx, RangeDataServer(root) as data:
        yield idx, data


@pytest.fixture(scope="module")
def memento() -> Iterator[TimeMapServer]:
    with TimeMapServer(CAPS, page_size=2) as server:
        yield server


def cc_args(cc: tuple[CcIndexServer, RangeDataServer], spec: str = "commoncrawl") -> list[str]:
    idx, data = cc
    return ["--archive", spec, "--cc-index", idx.base, "--cc-data", data.base]


def test_common_crawl_finds_every_policy_by_range(
    cc: tuple[CcIndexServer, RangeDataServer], tmp_path: Path
) -> None:
    idx, data = cc
    idx.requests.clear()
    data.requests.clear()
    policies = wayback(tmp_path, *cc_args(cc))
    assert_expected(policies)
    assert set(policies.archive) == {"commoncrawl"}
    assert policies.archive_url.str.contains(r"/crawl-data/CC-MAIN-\d{4}-\d\d/.*#offset=\d+").all()
    assert idx.requests[0] == "/collinfo.json" and idx.requests.count("/collinfo.json") == 1
    # per URL every crawl's index is asked; a host listing answers most of them: per host and
    # crawl, a page count (showNumPages) and each page (one here), none for an absent host
    counted = [p for p in idx.requests if "showNumPages=true" in p]
    paged = [p for p in idx.requests if "&page=" in p]
    assert counted and 0 < len(paged) <= len(counted)
    assert len(idx.requests) < 250
    assert all(p.startswith("/crawl-data/") for p in data.requests)


def test_named_crawls_only(cc: tuple[CcIndexServer, RangeDataServer], tmp_path: Path) -> None:
    idx, _ = cc
    idx.requests.clear()
    policies = wayback(
        tmp_path,
        *cc_args(cc, "commoncrawl:CC-MAIN-2010-10,CC-MAIN-2012-40"),
        years=("2010", "2012"),
    )
    asked = {p.split("-index")[0].lstrip("/") for p in idx.requests if "-index" in p}
    assert asked == {"CC-MAIN-2010-10", "CC-MAIN-2012-40"}
    assert set(policies.snapshot) <= {"2010H1", "2012H2"} and len(policies) > 0


def test_range_misbehaviours_are_refused_unread(
    cc: tuple[CcIndexServer, RangeDataServer], tmp_path: Path
) -> None:
    idx, data = cc
    data.faults.clear()
    idx.faults.clear()
    data.requests.clear()
    data.fault("CC-MAIN-2008-10-", "ignore_range")  # a 200 with the whole file
    data.fault("CC-MAIN-2005-40-", "forbid")  # the CDN's 403, every time
    idx.fault("CC-MAIN-2013-10-index", "busy")  # a 503 with Retry-After, once
    try:
        policies = wayback(tmp_path, *cc_args(cc), *FAST_BACKOFF)
    finally:
        data.faults.clear()
        idx.faults.clear()
    fetches = read(tmp_path, "fetches")
    refused = fetches[fetches.outcome.isin(["range_ignored", "http_403"])]
    assert set(refused.outcome) == {"range_ignored", "http_403"}
    assert refused.archive_url.str.contains("CC-MAIN-2008-10-|CC-MAIN-2005-40-").all()
    # the CDN's 403 was backed off from and retried (RETRY_TIMES=1) before it was refused
    forbidden = [p for p in data.requests if "CC-MAIN-2005-40-" in p]
    assert len(forbidden) == 2 * (refused.outcome == "http_403").sum()
    # a refused policy capture gives no document for its period (a homepage: no links)
    refused_policy = refused[refused.kind == "policy"]
    assert len(refused_policy) > 0
    stored = set(zip(policies.site, policies.snapshot, strict=True))
    assert not stored & set(zip(refused_policy.site, refused_policy.snapshot, strict=True))
    # the busy index answered on the retry: its crawl's captures are still there
    assert policies.archive_url.str.contains("CC-MAIN-2013-10-").any()
    assert (fetches.outcome == "http_503").sum() == 0


def test_memento_archive_through_paged_timemaps_and_id_(
    memento: TimeMapServer, tmp_path: Path
) -> None:
    memento.requests.clear()
    policies = wayback(tmp_path, "--archive", f"memento:{memento.base}/timemap/link/")
    assert_expected(policies)
    assert set(policies.archive) == {"memento:127.0.0.1"}
    replays = [p for p in memento.requests if p.startswith("/wayback/")]
    assert replays and all(p.split("/")[2].endswith("id_") for p in replays)
    assert any(p.startswith("/timemap/link/2/") for p in memento.requests)  # pages followed
    assert not any("/timemap/json/" in p for p in memento.requests)
    assert "ARCHIVE BANNER" not in " ".join(policies.text)


def split(caps: list[CaptureSpec]) -> tuple[list[CaptureSpec], list[CaptureSpec]]:
    """Every other capture of each URL: neither archive alone holds the nearest ones."""
    seen: dict[str, int] = {}
    a: list[CaptureSpec] = []
    b: list[CaptureSpec] = []
    for cap in sorted(caps, key=lambda c: c.timestamp):
        n = seen[cap.url] = seen.get(cap.url, -1) + 1
        (a if n % 2 == 0 else b).append(cap)
    return a, b


def test_several_archives_nearest_capture_wins(tmp_path: Path) -> None:
    first, second = split(CAPS)
    root = tmp_path / "cc"
    index = build_cc_collection(first, root)
    with (
        CcIndexServer(index, with_dates=False) as idx,
        RangeDataServer(root) as data,
        TimeMapServer(second) as tm,
    ):
        policies = wayback(
            tmp_path / "out",
            "--archive",
            "commoncrawl",
            "--cc-index",
            idx.base,
            "--cc-data",
            data.base,
            "--archive",
            f"memento:{tm.base}/timemap/link/",
        )
    assert_expected(policies)
    assert set(policies.archive) == {"commoncrawl", "memento:127.0.0.1"}
    for row in policies.itertuples():
        from_cc = row.archive == "commoncrawl"
        assert ("/crawl-data/" in row.archive_url) == from_cc
        assert ("/wayback/" in row.archive_url) == (not from_cc)


def test_bad_archive_spec_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli(
        "wayback",
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        "2005",
        "--to",
        "2006",
        "--archive",
        "commoncrawl:2019-22",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 2
    assert "not a Common Crawl crawl id: '2019-22'" in proc.stderr
    assert "Traceback" not in proc.stderr
