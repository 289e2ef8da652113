"""Fault injection, archives: one wayback crawl against a misbehaving archive server.

The server (``tests/faults/archive.py``) has the Internet Archive's URL shapes. Fault
cases live on ``<case>.arch.test`` (captures in 2010); the recorded real Wayback
responses (``../shared/data/wayback_api``) are replayed for the real URLs below. One run
over 2001–2020 by year covers them all; each case's outcome is asserted in ``fetches``,
``policies`` and the log.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.crawl import read, run_cli
from tests.faults import report
from tests.faults.archive import CASES, FaultArchive

pytestmark = [pytest.mark.faults, pytest.mark.corpus]

# case → (snapshot, outcome of the policy row)
EXPECTED = {
    "control": ("2010", "ok"),
    "redirect-in-period": ("2010", "ok"),  # archived 302 followed through the archive
    "redirect-out-of-period": ("2010", "redirect_outside_period"),
    "not-archived": ("2010", "http_404"),
    "parked": ("2010", "not_a_policy"),
    "outside-period": ("2010", "no_capture_in_period"),
    "malformed-cdx": ("2010", "ok"),
    "dash-fields": ("2010", "ok"),
    "revisit": ("2010", "ok"),  # the revisit record is skipped, the real capture used
    "repeated-resume-key": ("2010", "ok"),
    "cdx-429": ("2010", "ok"),
    "cdx-503": ("2010", "ok"),
    "replay-reset": ("2010", "connection_lost"),
}
# recorded real Wayback traffic: site, policy URL, snapshot, outcome
RECORDED = {
    "blocked-url": (
        "nationalpost.com",
        "https://nationalpost.com/health",
        "2019",
        "archive_blocked",
    ),
    "multipage-search": ("cnn.com", "http://cnn.com/", "2001", "http_404"),
    "archived-rate-limit-page": (
        "reddit.com",
        "http://www.reddit.com/r/PokemonGiveaway",
        "2015",
        "http_429",
    ),
    "missing-memento": (
        "this-is-not-real-url.whatever",
        "https://this-is-not-real-url.whatever/",
        "2017",
        "http_404",
    ),
    "historical-redirects": ("epa.gov", "http://epa.gov/climatechange", "2020", "not_a_policy"),
}


@dataclass
class ArchiveRun:
    proc: subprocess.CompletedProcess[str]
    archive: FaultArchive
    fetches: pd.DataFrame
    policies: pd.DataFrame
    clauses: pd.DataFrame


@pytest.fixture(scope="module")
def archive_run(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ArchiveRun]:
    work = tmp_path_factory.mktemp("faults-archive")
    with FaultArchive(shared_data / "wayback_api") as arc:
        lines = [f"{c}.arch.test,{arc.policy_url(c)}" for c in CASES]
        lines += [f"{site},{url}" for site, url, _, _ in RECORDED.values()]
        sites = work / "sites.txt"
        sites.write_text("\n".join(lines) + "\n")
        proc = run_cli(
            "wayback",
            "--sites",
            str(sites),
            "--from",
            "2001",
            "--to",
            "2020",
            "--every",
            "year",
            "--archive",
            arc.base,
            "--out",
            str(work / "out"),
            "--workers",
            "1",
            "-s",
            "DOWNLOAD_TIMEOUT=3",
            "-s",
            "POLICYARCHIVE_BACKOFF_BASE=0.25",
            timeout=240,
        )
        (work / "crawl.log").write_text(proc.stderr)
        out = work / "out"
        yield ArchiveRun(
            proc, arc, read(out, "fetches"), read(out, "policies"), read(out, "clauses")
        )


def _policy_row(run: ArchiveRun, site: str, snapshot: str) -> pd.DataFrame:
    f = run.fetches
    return f[(f.site == site) & (f.snapshot == snapshot) & (f.kind == "policy")]


def test_run_finishes_with_exit_status_0(archive_run: ArchiveRun) -> None:
    assert archive_run.proc.returncode == 0, archive_run.proc.stderr[-4000:]


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_archive_fault_outcome(archive_run: ArchiveRun, case: str) -> None:
    snapshot, expected = EXPECTED[case]
    site = f"{case}.arch.test"
    rows = _policy_row(archive_run, site, snapshot)
    got = list(rows.outcome) == [expected]
    has_doc = (
        (archive_run.policies.site == site) & (archive_run.policies.snapshot == snapshot)
    ).any()
    got = got and has_doc == (expected == "ok")
    tries = sum(n for (kind, key), n in archive_run.archive.hits.items() if f"{case}." in key)
    report.observe(
        f"archive:{case}", survived=got and archive_run.proc.returncode == 0, tries=tries
    )
    assert got, f"{case}: expected {expected}, got {rows.outcome.tolist()}"


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recorded_wayback_response(archive_run: ArchiveRun, name: str) -> None:
    site, _url, snapshot, expected = RECORDED[name]
    rows = _policy_row(archive_run, site, snapshot)
    got = list(rows.outcome) == [expected]
    report.observe(f"recorded:{name}", survived=got and archive_run.proc.returncode == 0, tries=1)
    assert got, f"{name}: expected {expected}, got {rows.outcome.tolist()}"


def test_multipage_search_reads_every_page(archive_run: ArchiveRun) -> None:
    """The recorded cnn.com search has 15 pages chained by resumeKey: all are read."""
    cdx = archive_run.fetches[
        (archive_run.fetches.site == "cnn.com") & (archive_run.fetches.kind == "cdx")
    ]
    # one query per URL (every status at once), read to its last page
    assert len(cdx) == 15 and set(cdx.outcome) == {"ok"}
    keys = [u for u in cdx.url if "resumeKey=" in u]
    assert len(keys) == len(set(keys)) == 14


def test_repeated_resume_key_stops_paging(archive_run: ArchiveRun) -> None:
    assert "repeated resumeKey" in archive_run.proc.stderr
    pages = archive_run.archive.cdx_requests("repeated-resume-key.arch.test")
    assert len(pages) <= 2  # one query, stopped at the repeat


def test_malformed_lines_are_counted_and_logged(archive_run: ArchiveRun) -> None:
    f = archive_run.fetches
    cdx = f[(f.site == "malformed-cdx.arch.test") & (f.kind == "cdx")]
    assert any("4 malformed lines" in d for d in cdx.detail)
    assert "skipped 4 malformed lines" in archive_run.proc.stderr


def test_blocked_url_is_named_in_the_log(archive_run: ArchiveRun) -> None:
    assert "CDX query for https://nationalpost.com/health failed: archive_blocked" in (
        archive_run.proc.stderr
    )


def test_nothing_fetched_outside_the_period_or_from_revisits(archive_run: ArchiveRun) -> None:
    replays = [p for kind, p in archive_run.archive.requests if kind == "replay"]
    assert not [p for p in replays if "outside-period" in p]
    assert not [p for p in replays if "revisit" in p and "/web/20100701" in p]


def test_no_rows_lost_or_duplicated(archive_run: ArchiveRun) -> None:
    expected = {f"{c}.arch.test": s for c, (s, o) in EXPECTED.items() if o == "ok"}
    lost, dups = report.lost_and_duplicates(archive_run.policies, archive_run.clauses, expected)
    dups += len(set(archive_run.policies.site) - set(expected))
    report.rows(lost, dups)
    assert (lost, dups) == (0, 0)


BROKEN_WARCS = (
    "warcio_test_data/test/data/example-trunc.warc",
    "warcio_test_data/test/data/example-wrong-chunks.warc.gz",
    "warcio_test_data/test/data/example-bad-non-chunked.warc.gz",
    "pywb_sample_archive/sample_archive/warcs/missing-status-text.warc",
    "pywb_sample_archive/sample_archive/warcs/bad.arc",
    "pywb_sample_archive/sample_archive/warcs/example-bad.warc.gz.bad",
    "pywb_sample_archive/sample_archive/warcs/dupes.warc.gz",
)


@pytest.mark.pywb
def test_broken_warcs_served_by_pywb(shared_data: Path, tmp_path: Path) -> None:
    """Truncated, badly chunked and status-less WARC/ARC files behind pywb: the crawl
    finishes, and every site and year ends with one policy row and a clear reason."""
    from crawler.pywb_server import PywbServer

    warcs = [shared_data / "warc" / w for w in BROKEN_WARCS]
    sites = tmp_path / "sites.txt"
    sites.write_text("example.com,http://example.com/\niana.org,http://www.iana.org/\n")
    with PywbServer(warcs, tmp_path / "pywb") as pywb:
        base = pywb.start()
        proc = run_cli(
            "wayback",
            "--sites",
            str(sites),
            "--from",
            "2013",
            "--to",
            "2018",
            "--every",
            "year",
            "--archive",
            base,
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "0",
            "-s",
            "DOWNLOAD_TIMEOUT=3",  # pywb stalls on a truncated record: it sends fewer bytes
            "-s",  # than its Content-Length and keeps the connection open
            "POLICYARCHIVE_BACKOFF_BASE=0.25",
            "-s",  # consecutive timeouts trip the breaker: keep its pause short here
            "POLICYARCHIVE_BREAKER_COOLDOWN=1",
            timeout=240,
        )
    (tmp_path / "crawl.log").write_text(proc.stderr)
    f = read(tmp_path / "out", "fetches")
    final = f[f.kind == "policy"]
    per_period = final.groupby(["site", "snapshot"]).size()
    ok = (
        proc.returncode == 0
        and len(per_period) == 12
        and (per_period == 1).all()
        and not final.outcome.str.startswith("error_").any()
        and "ok" in set(f[f.kind == "cdx"].outcome)
    )
    for w in BROKEN_WARCS:
        report.observe(f"warc:{Path(w).name}", survived=ok, tries=1)
    assert ok, (proc.returncode, proc.stderr[-3000:], final[["site", "snapshot", "outcome"]])


def test_archived_429_is_a_page_not_a_throttle(archive_run: ArchiveRun) -> None:
    """reddit.com answered the Internet Archive's crawler with a 429 in 2015; the archive
    replays it with that status and a Memento-Datetime. That is an archived page (one
    request, outcome http_429), not the archive asking us to slow down."""
    replays = [p for kind, p in archive_run.archive.requests if kind == "replay" and "Pokemon" in p]
    assert len(replays) == 1, replays
    assert "'policyarchive/politeness/archived_error_status': 1" in archive_run.proc.stderr
