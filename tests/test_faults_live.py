"""Fault injection, live web: one crawl over many misbehaving sites; each fault's outcome.

Every fault in :data:`tests.faults.server.FAULTS` is one "site" (``<fault>.faults.test``)
in one sites file, plus a refused port and a host that does not resolve. The crawl must
finish with exit status 0, write a document for every site that has a readable policy,
and give every other site a ``fetches`` row with a clear reason slug, named in the log.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.crawl import read, run_cli
from tests.faults import report
from tests.faults.server import FAULTS, FaultServer, closed_port

pytestmark = pytest.mark.faults

# fault → the outcome recorded for its policy URL ("ok": a document was written)
EXPECTED = {
    "control": "ok",
    "429-retry-after": "ok",  # retried after the pause it asked for
    "429-no-retry-after": "http_429",  # backed off, retried, gave up: recorded
    "503-then-ok": "ok",
    "timeout": "timeout",
    "reset": "connection_lost",
    "refused": "connection_refused",
    "nxdomain": "dns_failure",
    "truncated-gzip": "truncated",
    "short-body": "truncated",
    "gzip-bomb": "decompression_bomb",
    "deflate-bomb": "decompression_bomb",
    "br-bomb": "decompression_bomb",
    "zstd-bomb": "decompression_bomb",
    "fifty-mb": "too_large",
    "fifty-mb-chunked": "too_large",
    "deep-html": "extract_empty",
    "empty-body": "extract_empty",
    "binary-garbage": "extract_not_html",
    "pdf": "pdf_broken",  # a PDF with no pages: read as a PDF, refused with its reason
    "image": "extract_not_html",
    "invalid-utf8": "ok",
    "charset-mismatch": "ok",
    "charset-mismatch-utf8": "ok",
    "meta-refresh-loop": "too_many_redirects",
    "redirect-25-hops": "too_many_redirects",
    "redirect-loop": "too_many_redirects",
    "redirect-file": "redirect_unsupported_scheme",
    "redirect-ftp": "redirect_unsupported_scheme",
    "redirect-data": "redirect_unsupported_scheme",
}


@dataclass
class LiveRun:
    out: Path
    proc: subprocess.CompletedProcess[str]
    site_of: dict[str, str]  # fault → site name in the datasets
    hits: dict[str, int]  # fault → requests the server answered with it
    fetches: pd.DataFrame
    policies: pd.DataFrame
    clauses: pd.DataFrame


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRun]:
    work = tmp_path_factory.mktemp("faults-live")
    with FaultServer() as srv:
        site_of = {f: f"{srv.host(f)}:{srv.port}" for f in FAULTS}
        lines = [f"{site_of[f]},{srv.url(f)}" for f in FAULTS]
        dead = closed_port()
        site_of["refused"] = f"refused.faults.test:{dead}"
        site_of["nxdomain"] = f"nxdomain.invalid:{srv.port}"  # .invalid never resolves
        lines.append(f"{site_of['refused']},http://{site_of['refused']}/privacy")
        lines.append(f"{site_of['nxdomain']},http://{site_of['nxdomain']}/privacy")
        sites = work / "sites.txt"
        sites.write_text("\n".join(lines) + "\n")
        proc = run_cli(
            "live",
            "--sites",
            str(sites),
            "--out",
            str(work / "out"),
            "--workers",
            "1",
            "-s",
            "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.faults.test": "127.0.0.1"}),
            "-s",
            "DOWNLOAD_TIMEOUT=2",  # the stalling server waits longer than this
            "-s",
            "POLICYARCHIVE_BACKOFF_BASE=0.25",  # real backoff, shorter pauses
            timeout=240,
        )
        hits = {f: srv.hits(f) for f in FAULTS}
    (work / "crawl.log").write_text(proc.stderr)  # kept for whoever debugs a failure
    out = work / "out"
    yield LiveRun(
        out,
        proc,
        site_of,
        hits,
        read(out, "fetches"),
        read(out, "policies"),
        read(out, "clauses"),
    )


def test_run_finishes_with_exit_status_0(live_run: LiveRun) -> None:
    assert live_run.proc.returncode == 0, live_run.proc.stderr[-4000:]
    manifest = next((live_run.out / "runs").glob("*.json"))
    assert json.loads(manifest.read_text())["status"] == "complete"


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_has_a_clear_outcome(live_run: LiveRun, fault: str) -> None:
    expected = EXPECTED[fault]
    site = live_run.site_of[fault]
    rows = live_run.fetches[live_run.fetches.site == site]
    outcomes = set(rows.outcome)
    if expected == "ok":
        got = expected in outcomes and (live_run.policies.site == site).sum() == 1
    else:
        # the failure is named, and the site ends with "no policy" rather than a document
        got = expected in outcomes and not (live_run.policies.site == site).any()
        got = (
            got
            and f"{expected}" in live_run.proc.stderr
            and site.split(":")[0] in (live_run.proc.stderr)
        )
    survived = got and live_run.proc.returncode == 0
    report.observe(f"live:{fault}", survived=survived, tries=live_run.hits.get(fault, 1))
    assert got, f"{fault}: expected {expected}, got {sorted(outcomes)}"


def test_no_rows_lost_or_duplicated(live_run: LiveRun) -> None:
    snapshot = live_run.fetches.snapshot.iloc[0]
    expected = {live_run.site_of[f]: snapshot for f, o in EXPECTED.items() if o == "ok"}
    lost, dups = report.lost_and_duplicates(live_run.policies, live_run.clauses, expected)
    # and nothing beyond what was expected
    dups += len(set(live_run.policies.site) - set(expected))
    report.rows(lost, dups)
    assert (lost, dups) == (0, 0)


def test_every_site_ends_with_a_row(live_run: LiveRun) -> None:
    """Nothing dropped silently: each site has a document or a "no policy" row."""
    f = live_run.fetches
    for fault, site in live_run.site_of.items():
        final = f[(f.site == site) & (f.kind == "policy")]
        assert len(final) == 1, (fault, final.outcome.tolist())


def test_charset_disagreements_decode_right(live_run: LiveRun) -> None:
    p = live_run.policies.set_index("site")
    for fault in ("charset-mismatch", "charset-mismatch-utf8"):
        text = p.loc[live_run.site_of[fault], "text"]
        assert "Datenschutzerklärung" in text and "Größen" in text, (fault, text[:200])
    assert "We" in p.loc[live_run.site_of["invalid-utf8"], "text"]


def test_bombs_and_giants_were_capped(live_run: LiveRun) -> None:
    """The cap holds after decompression: the log names DOWNLOAD_MAXSIZE for each bomb."""
    err = live_run.proc.stderr
    for fault in ("gzip-bomb", "deflate-bomb", "br-bomb", "zstd-bomb"):
        line = next(ln for ln in err.splitlines() if fault in ln and "DOWNLOAD_MAXSIZE" in ln)
        assert "during decompression" in line


def test_retries_honoured_the_server(live_run: LiveRun) -> None:
    # asked to wait once, then served: two requests; 503 twice then fine: three
    assert live_run.hits["429-retry-after"] == 2
    assert live_run.hits["503-then-ok"] == 3
    # a redirect to file:, ftp: or data: is never followed: the server saw one request
    for fault in ("redirect-file", "redirect-ftp", "redirect-data"):
        assert live_run.hits[fault] == 1
