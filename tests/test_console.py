"""What a user sees: progress in a terminal and in a pipe, the summary, status, mistakes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pexpect
import pytest

from crawler.console import (
    RateMeter,
    Snapshot,
    Wait,
    crawl_snapshot,
    duration,
    failures_text,
    plain_line,
)
from crawler.middlewares import PolitenessMiddleware
from pipelines.storage.lock import OutputLocked, lock_output
from tests.crawl import ROOT
from tests.test_politeness import POLICY

ESC = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters other than \t and \n
PROGRESS = re.compile(r"^wayback: (\d+)/7 sites, (\d+) documents, ", re.M)


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The console script in a plain pipe: no -v, exactly what cron or CI sees."""
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- the pieces ---------------------------------------------------------------------------
def test_plain_line_says_where_the_crawl_stands() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    snap = Snapshot(
        "wayback", 40, 100, elapsed=600, rate=0.1, documents=300,
        failures={"no_capture_in_period": 9, "http_404": 3, "timeout": 1, "dns_failure": 1,
                  "connection_refused": 1},
        waits=[Wait("CDX requests to web.archive.org", "HTTP 429; backing off",
                    now + timedelta(seconds=90))],
    )  # fmt: skip
    line = plain_line(snap, now)
    assert line.startswith("wayback: 40/100 sites, 300 documents, 15 failures (")
    assert "no_capture_in_period 9, http_404 3" in line and "1 more reasons" in line
    assert "6.0 sites/min" in line and "ETA 10 min 00 s" in line
    assert "waiting on CDX requests to web.archive.org until 12:01:30 UTC (1 min 30 s)" in line
    assert not ESC.search(line)
    assert failures_text({}) == "no failures"
    assert duration(7300) == "2 h 01 min"


def test_rate_is_the_recent_one() -> None:
    t = [0.0]
    meter = RateMeter(window=60, clock=lambda: t[0])
    meter.add(0)
    for step in range(1, 11):  # fast at first: 10 a second for 10 s
        t[0] = step
        meter.add(step * 10)
    for step in range(11, 200):  # then 1 a second
        t[0] = step
        rate = meter.add(100 + (step - 10))
    assert rate == pytest.approx(1.0, abs=0.05)


def test_crawl_counts_come_from_the_stats() -> None:
    snap = crawl_snapshot(
        {
            "policyarchive/sites_done": 3,
            "policyarchive/documents_stored": 12,
            "policyarchive/fetches/ok": 12,
            "policyarchive/fetches/http_404": 2,
        },
        "live",
        10,
    )
    assert (snap.done, snap.total, snap.documents, snap.failures) == (3, 10, 12, {"http_404": 2})


def test_waits_name_the_endpoint_the_reason_and_the_time_left() -> None:
    from scrapy.utils.test import get_crawler

    t = [1000.0]
    import crawler.settings as project

    ours = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    mw = PolitenessMiddleware(get_crawler(settings_dict=ours), clock=lambda: t[0])
    ep = mw.endpoints.setdefault(("cdx", "web.archive.org"), _endpoint("cdx", 3.0))
    assert mw.waiting() == []
    ep.failed(t[0], "HTTP 503", None, mw.policy)
    (name, why, left), *_ = mw.waiting()
    assert name == "CDX requests to web.archive.org"
    assert "answered HTTP 503; backing off" in why and left == pytest.approx(2.0)
    t[0] += 10  # the pause is over; now many requests queue behind the rate limit
    for _ in range(5):
        ep.reserve(t[0])
    assert mw.waiting() == [("CDX requests to web.archive.org", "rate limit (20 a minute)", 15.0)]


def _endpoint(kind: str, interval: float):  # noqa: ANN202
    from crawler.middlewares import Endpoint

    return Endpoint(kind, "web.archive.org", interval)


# -- a demo in a pipe and in a terminal ---------------------------------------------------
@pytest.fixture(scope="module")
def piped_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("pipe") / "out"
    proc = cli("demo", "--out", str(out), "--workers", "1", "--progress-interval", "0.5")
    return out, proc


@pytest.mark.pywb
def test_in_a_pipe_progress_is_plain_periodic_lines(piped_demo) -> None:  # noqa: ANN001
    out, proc = piped_demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not ESC.search(proc.stderr) and not ESC.search(proc.stdout)
    lines = PROGRESS.findall(proc.stderr)
    assert len(lines) >= 2, proc.stderr
    done = [int(d) for d, _ in lines]
    assert done == sorted(done) and done[-1] == 7  # it counts up to every site
    # the terminal gets no log chatter and no stats dump; the log file and manifest have them
    assert "Dumping Scrapy stats" not in proc.stderr + proc.stdout
    assert "downloader/request_count" not in proc.stderr + proc.stdout
    assert " INFO: " not in proc.stderr
    (manifest_path,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    log = Path(manifest["log"])
    assert log.parent == out / "logs" and log.name == f"{manifest['run_id']}.log"
    text = log.read_text()
    assert "Scrapy 2." in text.splitlines()[0]  # from the first line of the run
    assert "Dumping Scrapy stats" in text
    assert manifest["stats"]["finish_reason"] == "finished"
    # the closing summary: elapsed, size, where the log is, what to do next
    assert "sites with documents: 6/7" in proc.stdout
    assert re.search(r"elapsed: \d+ s\s+output size: [\d.]+ [KM]B", proc.stdout)
    assert f"log: {log}" in proc.stdout
    assert f"policyarchive status {out}" in proc.stdout
    assert f"report: {out / 'report' / 'index.html'}" in proc.stdout  # the demo writes it


@pytest.mark.pywb
def test_in_a_terminal_progress_is_live_and_the_summary_follows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "crawler.cli", "demo", "--out", str(out), "--workers", "1", "--from", "2013"],
        cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color"),
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=120,
    )
    child.logfile_read = seen
    child.expect(r"wayback.*?/7 sites")  # the live block, with its bar
    child.expect("documents stored")
    child.expect(r"sites with documents: \d/7")
    child.expect(pexpect.EOF)
    child.close()
    text = seen.getvalue()
    assert child.exitstatus == 0, text[-2000:]
    assert "━" in text and "\x1b[" in text  # a drawn bar, redrawn in place
    assert "next:" in text and "policyarchive status" in text
    assert "Dumping Scrapy stats" not in text and " INFO " not in text


# -- status -------------------------------------------------------------------------------
@pytest.mark.pywb
def test_status_of_a_finished_demo(piped_demo) -> None:  # noqa: ANN001
    out, _ = piped_demo
    proc = cli("status", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d{8}T\d{6}Z-\w+  wayback  complete, 92 documents", proc.stdout)
    assert "documents: 92 from 6 sites" in proc.stdout
    assert "wayback: 92 in 20 snapshots: 2005H1 2" in proc.stdout
    assert "sites without documents: 1" in proc.stdout
    assert "no_policy_found: 1 (e.g. gardenforum.example)" in proc.stdout
    assert "would a rerun fetch anything? no" in proc.stdout


@pytest.mark.pywb
def test_status_of_a_killed_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = cli(
        "demo",
        "--out",
        str(out),
        "--from",
        "2013",
        "--workers",
        "0",
        "-s",
        "POLICYARCHIVE_FAULT_KILL_AT=after_pending:1",
    )
    assert proc.returncode != 0
    st = cli("status", str(out), "--json")
    assert st.returncode == 0, st.stderr
    data = json.loads(st.stdout)
    assert [r["status"] for r in data["runs"]] == ["killed"]
    assert data["runs"][0]["arguments"]["site_count"] == 7  # it said what it was asked
    assert data["rerun"]["answer"] == "yes"


def test_status_of_something_else_is_one_sentence(tmp_path: Path) -> None:
    proc = cli("status", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"policyarchive status: {tmp_path} is not a policyarchive output directory "
        "(no runs/ and no state.sqlite)"
    )


# -- waits in the progress line ------------------------------------------------------------
class _Busy(BaseHTTPRequestHandler):
    hits = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/robots.txt":
            return self._send(404, b"")
        type(self).hits += 1
        if type(self).hits == 1:
            return self._send(429, b"slow down", {"Retry-After": "3"})
        self._send(200, POLICY.encode())

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def busy_server() -> Iterator[int]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Busy,), {"hits": 0}))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def test_progress_says_what_the_crawl_waits_for(busy_server: int, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text(f"busy.example,http://busy.example:{busy_server}/privacy\n")
    proc = cli(
        "live", "--sites", str(sites), "--out", str(tmp_path / "out"), "--workers", "0",
        "--progress-interval", "0.5",
        "-s", "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(
        r"live: 0/1 sites, .*; waiting on requests to busy\.example until \d\d:\d\d:\d\d UTC "
        r"\(\d s\): busy\.example answered HTTP 429 with Retry-After 3 s",
        proc.stderr,
    ), proc.stderr
    assert re.search(r"^live: 1/1 sites, 1 documents", proc.stderr, re.M), proc.stderr
    out = tmp_path / "out"
    assert f"policyarchive report {out}" in proc.stdout  # no report yet: the next command


# -- mistakes: one sentence, exit 2 ---------------------------------------------------------
def test_a_second_run_on_the_same_output_names_the_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fd = lock_output(out)  # this test process plays the running crawl
    try:
        sites = tmp_path / "sites.txt"
        sites.write_text("alpha.example\n")
        proc = cli("live", "--sites", str(sites), "--out", str(out))
    finally:
        os.close(fd)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"policyarchive live: another policyarchive run (pid {os.getpid()}) is writing to "
        f"{out}; not starting a second one"
    )


def test_nodes_of_a_distributed_run_share_the_output_and_keep_single_runs_out(
    tmp_path: Path,
) -> None:
    """Two nodes start at the same moment (each checks the lock); a plain run must wait."""
    out = tmp_path / "out"
    a, b = lock_output(out, shared=True), lock_output(out, shared=True)
    try:
        sites = tmp_path / "sites.txt"
        sites.write_text("alpha.example\n")
        proc = cli("live", "--sites", str(sites), "--out", str(out))
    finally:
        os.close(a)
        os.close(b)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"policyarchive live: a distributed policyarchive run (--redis) is writing to "
        f"{out}; not starting a second one"
    )
    fd = lock_output(out)  # and a plain run keeps the nodes out
    try:
        with pytest.raises(OutputLocked, match=f"pid {os.getpid()}"):
            lock_output(out, shared=True)
    finally:
        os.close(fd)


def _silent_server() -> tuple[int, object]:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)  # accepts connections (the kernel does) and never answers
    return s.getsockname()[1], s


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_an_archive_that_does_not_answer_stops_before_the_crawl(kind: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("alpha.example\n")
    sock = None
    if kind == "refused":
        port = _silent_server()[0]  # bound then closed: nothing listens there now
    else:
        port, sock = _silent_server()
    proc = cli(
        "wayback", "--sites", str(sites), "--from", "2010", "--to", "2011",
        "--archive", f"http://127.0.0.1:{port}", "--reach-timeout", "1",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert proc.returncode == 2
    why = "connection refused" if kind == "refused" else "no answer within 1 s"
    assert proc.stderr.strip() == (
        f"policyarchive wayback: the archive at http://127.0.0.1:{port} does not answer "
        f"({why}); check --archive and the network"
    )
    assert not (tmp_path / "out" / "logs").exists()  # nothing started


def test_unreadable_sites_and_full_disk(tmp_path: Path) -> None:
    proc = cli("live", "--sites", str(tmp_path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "is a directory, not a sites file" in proc.stderr and "Traceback" not in proc.stderr
    csv = tmp_path / "in.csv"
    csv.write_text("text\nWe share your data with partners.\n")
    (tmp_path / "full.csv.tmp").symlink_to("/dev/full")  # writes fail with ENOSPC
    proc = cli("classify", str(csv), "--text-column", "text", "--out", str(tmp_path / "full.csv"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"policyarchive classify: no space left on the disk holding {tmp_path / 'full.csv'}; "
        "free some space and run it again"
    )


def test_every_command_has_examples_in_its_help() -> None:
    for command in ("wayback", "live", "demo", "export", "classify", "status", "report"):
        proc = cli(command, "--help")
        assert proc.returncode == 0
        assert "examples:" in proc.stdout and f"policyarchive {command}" in proc.stdout


def test_classify_reports_progress_in_a_pipe(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("text\n" + "We share your data with partners.\n" * 30)
    proc = cli("classify", str(csv), "--text-column", "text", "--out", str(tmp_path / "o.csv"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^classify: 30 rows, ", proc.stderr, re.M), proc.stderr
    assert "classified 30 rows" in proc.stdout


@pytest.mark.pywb
def test_a_full_disk_mid_crawl_is_one_sentence(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("needs to mount a small tmpfs (root)")
    try:
        proc = cli("demo", "--out", str(disk / "out"), "--workers", "1")
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
    assert proc.returncode == 1
    assert f"no space left on the disk holding {disk / 'out'}; free some space" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
