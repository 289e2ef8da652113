"""Resume and increment: kill -9 a wayback crawl at many moments, rerun, compare.

The crawl of the fixture archive (the same one as tests/test_wayback_e2e.py) is killed with
SIGKILL — from outside at a moment picked by watching the output directory, and from inside
at each step of a commit (``POLICYARCHIVE_FAULT_KILL_AT``) — then the same command is run
again. The result must equal an undisturbed run: the same documents and clauses, none lost,
none twice, no temporary left, every manifest's checksums right.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.storage.parquet import verify_manifest_files
from tests.crawl import ROOT, read

FIXTURES = Path(__file__).parent / "fixtures"
# commit every 2 documents so a kill has many moments to land in
SMALL_COMMITS = (
    "--set",
    "POLICYARCHIVE_COMMIT_DOCUMENTS=2",
    "--set",
    "POLICYARCHIVE_ROW_GROUP_ROWS=5",
)

pytestmark = pytest.mark.pywb


def command(archive: str, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "wayback",
        "-v",  # the stats dump on stderr (read by stat() below)
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        "2005",
        "--to",
        "2014",
        "--archive",
        archive,
        "--out",
        str(out),
        "--workers",
        "0",
        *SMALL_COMMITS,
        *extra,
    ]


def crawl(archive: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(archive, out, *extra),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def crawl_and_kill_when(
    archive: str,
    out: Path,
    committed_parts: int,
    *extra: str,
    before_kill: Callable[[int], None] | None = None,
) -> int:
    """Start the crawl; SIGKILL it once ``committed_parts`` policies parts are in place
    (``before_kill`` gets the crawler's pid just before)."""
    proc = subprocess.Popen(
        command(archive, out, *extra),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if len(list(out.glob("policies/*/part-*.parquet"))) >= committed_parts:
                if before_kill is not None:
                    before_kill(proc.pid)
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return proc.returncode


def stat(stderr: str, key: str) -> int:
    m = re.search(rf"'{re.escape(key)}': (\d+)", stderr)
    return int(m[1]) if m else 0


def dataset(out: Path) -> tuple[Counter, Counter]:
    """(policies as a multiset of (site, snapshot, content digest), clauses as a multiset)."""
    pol, cla = read(out, "policies"), read(out, "clauses")
    policies = Counter(zip(pol.site, pol.snapshot, pol.content_digest, strict=True))
    clauses = Counter(zip(cla.policy_id, cla.position, cla.text, strict=True))
    return policies, clauses


def assert_intact(out: Path) -> None:
    assert not [p for p in out.rglob("*") if p.name.startswith(".tmp-")]
    for part in out.glob("*/*/part-*.parquet"):
        pq.read_metadata(part)  # every file readable
    manifests = list((out / "runs").glob("*.json"))
    assert manifests
    for m in manifests:
        manifest = json.loads(m.read_text())
        assert verify_manifest_files(out, manifest["files"]) == [], m.name
    listed = {f["path"] for m in manifests for f in json.loads(m.read_text())["files"]}
    # the derived changes datasets are vouched for by their own listing (a later run may
    # rewrite them, so no run manifest can)
    history = json.loads((out / "history.json").read_text())["files"]
    assert verify_manifest_files(out, history) == []
    listed |= {f["path"] for f in history}
    on_disk = {str(p.relative_to(out)) for p in out.glob("*/*/part-*.parquet")}
    assert on_disk == listed  # no file without a manifest that vouches for it
    pol = read(out, "policies")
    assert pol.policy_id.is_unique
    assert read(out, "clauses").clause_id.is_unique


@pytest.fixture(scope="module")
def undisturbed_run(archive: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("undisturbed")
    proc = crawl(archive, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert stat(proc.stderr, "policyarchive/commits") > 5  # small commits really happened
    return out, proc.stderr


@pytest.fixture(scope="module")
def undisturbed(undisturbed_run: tuple[Path, str]) -> Path:
    return undisturbed_run[0]


@pytest.mark.parametrize(
    "how",
    [
        "outside:1",  # right after the first commit lands
        "inside:before_pending:4",  # mid-run: temporaries written, commit not yet recorded
        "inside:after_pending:3",  # commit recorded, files not yet renamed
        "inside:after_rename:2",  # files renamed, not yet marked stored
    ],
)
def test_kill_then_rerun_equals_undisturbed_run(
    how: str, archive: str, undisturbed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    where, _, point = how.partition(":")
    if where == "outside":
        code = crawl_and_kill_when(archive, out, int(point))
    else:
        code = crawl(archive, out, "--set", f"POLICYARCHIVE_FAULT_KILL_AT={point}").returncode
    assert code == -signal.SIGKILL
    rerun = crawl(archive, out)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "was interrupted" in rerun.stderr
    if point.startswith("after_"):
        assert "completed commit" in rerun.stderr  # rolled forward, not redone
    assert dataset(out) == dataset(undisturbed)
    assert_intact(out)
    statuses = sorted(json.loads(m.read_text())["status"] for m in (out / "runs").glob("*.json"))
    assert statuses == ["complete", "interrupted"]
    # the rerun did not redo what the killed run had committed
    fetches = read(out, "fetches")
    ok = fetches[(fetches.kind == "policy") & (fetches.outcome == "ok")]
    assert ok.detail.is_unique and len(ok) == len(read(out, "policies"))


def test_second_rerun_adds_nothing_and_fetches_no_policy_again(
    archive: str, undisturbed_run: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(undisturbed_run[0], out)
    rows = {ds: len(read(out, ds)) for ds in ("policies", "clauses", "fetches")}
    rerun = crawl(archive, out)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert {ds: len(read(out, ds)) for ds in rows} == rows  # not a row more anywhere
    documents = rows["policies"]
    assert stat(rerun.stderr, "policyarchive/skipped/already_stored") >= documents
    replays = stat(rerun.stderr, "policyarchive/politeness/requests/replay")
    cdx = stat(rerun.stderr, "policyarchive/politeness/requests/cdx")
    first = undisturbed_run[1]
    first_requests = sum(
        stat(first, f"policyarchive/politeness/requests/{k}") for k in ("cdx", "replay")
    )
    print(f"requests: first run {first_requests}, rerun cdx {cdx} replay {replays}")
    assert replays + cdx < first_requests / 4  # only what might be new is asked again
    assert_intact(out)


def test_second_run_on_the_same_output_waits_its_turn(archive: str, tmp_path: Path) -> None:
    """A weekly cron job that overlaps last week's still-running job must not corrupt it."""
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with (out / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = crawl(archive, out)
    assert proc.returncode != 0
    assert "another policyarchive run" in proc.stderr
    assert not (out / "policies").exists()


def test_ctrl_c_commits_says_why_and_a_rerun_completes(
    archive: str, undisturbed: Path, tmp_path: Path
) -> None:
    """Ctrl-C: Scrapy's graceful shutdown commits what it has, the manifest says the run
    was cut short (not "complete"), the exit status is non-zero, and a rerun finishes it."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        command(archive, out),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if list(out.glob("policies/*/part-*.parquet")):
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode not in (0, None), stderr[-3000:]
    assert "did not finish cleanly (finish_reason=shutdown)" in stderr
    (manifest,) = [json.loads(m.read_text()) for m in (out / "runs").glob("*.json")]
    assert manifest["status"] == "incomplete: shutdown"
    assert_intact(out)
    rerun = crawl(archive, out)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert dataset(out) == dataset(undisturbed)
    assert_intact(out)


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat_file.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_kill_9_leaves_no_worker_process_behind(archive: str, tmp_path: Path) -> None:
    """Worker processes must not outlive a crawler killed with SIGKILL (a cron job killed
    for running too long would otherwise leave them holding memory, week after week)."""
    workers: set[int] = set()
    code = crawl_and_kill_when(  # once workers have done work
        archive,
        tmp_path / "out",
        1,
        "--workers",
        "2",
        before_kill=lambda pid: workers.update(_children(pid)),
    )
    assert code == -signal.SIGKILL
    assert len(workers) >= 2, workers  # the pool's workers (and its resource tracker)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = sorted(p for p in workers if _alive(p))
    for p in left:
        os.kill(p, signal.SIGKILL)  # do not leak them into the rest of the suite
    assert not left, f"processes left running after kill -9 of the crawler: {left}"
