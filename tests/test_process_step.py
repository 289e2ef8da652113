"""Worker processes: a page that hangs or kills its worker costs only that page.

The pool is given a per-document function that misbehaves on marked pages (it runs in
spawned workers, so it lives at module level here and is named by its dotted path).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.items import PolicyPage
from pipelines.process import Processed, process_page
from pipelines.steps.process import WorkerPool, worker_count
from tests.crawl import read, run_cli
from tests.servers import LiveSiteServer

FIXTURE_POLICY = Path(__file__).parent / "fixtures" / "live" / "www.alpha.example" / "privacy.html"
HANG = b"<!-- test: hang -->"
CRASH = b"<!-- test: crash -->"
MISBEHAVING = "tests.test_process_step.misbehaving_process_page"
BROKEN_IN_WORKERS = "tests.broken_processor.process_page"


def misbehaving_process_page(page: PolicyPage, **kw: object) -> Processed:
    """process_page, except that marked pages never finish or kill the worker."""
    if HANG in page.body:
        while True:
            time.sleep(1)
    if CRASH in page.body:
        os._exit(3)
    return process_page(page, **kw)  # type: ignore[arg-type]


def page(body: bytes, site: str = "alpha.example") -> PolicyPage:
    return PolicyPage(
        site=site,
        source="live",
        policy_url=f"http://www.{site}/privacy.html",
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        snapshot="2026H1",
        body=body,
        content_type="text/html; charset=utf-8",
        run_id="test",
    )


def test_worker_count_setting() -> None:
    assert worker_count(None) == (os.cpu_count() or 1)
    assert worker_count("3") == 3
    assert worker_count(0) == 0
    with pytest.raises(ValueError):
        worker_count(-1)


def test_hung_and_crashed_pages_cost_only_themselves() -> None:
    good = FIXTURE_POLICY.read_bytes()

    async def scenario() -> list[object]:
        pool = WorkerPool(workers=1, timeout=4.0, min_score=0.5, processor=MISBEHAVING)
        try:
            out = [await pool.run(page(good))]
            out.append(await pool.run(page(good + HANG)))
            out.append(await pool.run(page(good)))  # the one worker was replaced
            out.append(await pool.run(page(good + CRASH)))
            out.append(await pool.run(page(good)))
            return out
        finally:
            pool.close()

    first, hung, after_hang, crashed, after_crash = asyncio.run(scenario())
    assert isinstance(first, Processed) and first.clauses
    assert isinstance(hung, tuple) and hung[0] == "timeout"
    assert isinstance(after_hang, Processed)
    assert after_hang.policy["text"] == first.policy["text"]
    assert isinstance(crashed, tuple) and crashed[0] == "worker_crashed"
    assert "code 3" in crashed[1]
    assert isinstance(after_crash, Processed)


def test_workers_that_cannot_start_give_every_page_a_reason_instead_of_hanging() -> None:
    async def scenario() -> list[object]:
        pool = WorkerPool(workers=1, timeout=30.0, min_score=0.5, processor=BROKEN_IN_WORKERS)
        try:
            good = FIXTURE_POLICY.read_bytes()
            return [await asyncio.wait_for(pool.run(page(good)), 60) for _ in range(2)]
        finally:
            pool.close()

    for reason, detail in asyncio.run(scenario()):  # type: ignore[misc]
        assert reason == "worker_init_failed"
        assert "cannot load its model" in detail


def test_a_processor_that_cannot_load_is_refused_before_the_crawl(tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("alpha.example,http://127.0.0.1:9/privacy.html\n")
    proc = run_cli(
        "live",
        "--sites",
        str(sites),
        "--out",
        str(tmp_path / "out"),
        "-s",
        "POLICYARCHIVE_PROCESSOR=no_such_module.process_page",
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "POLICYARCHIVE_PROCESSOR='no_such_module.process_page' cannot be loaded" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "policies").exists()


def test_refusals_come_back_as_reasons() -> None:
    async def scenario() -> object:
        pool = WorkerPool(workers=1, timeout=30.0, min_score=0.5)
        try:
            return await pool.run(page(b"<html><body><p>Hello.</p></body></html>"))
        finally:
            pool.close()

    # (reason, detail, document_type): a refusal names the type the page was taken for
    reason, _, document_type = asyncio.run(scenario())  # type: ignore[misc]
    assert reason.startswith(("extract_", "not_a_policy"))
    assert document_type in (None, "not_legal")


def test_crawl_records_timeout_and_crash_and_goes_on(tmp_path: Path) -> None:
    """A live crawl with a hanging page and a worker-killing page among good ones."""
    root = tmp_path / "sites"
    good = FIXTURE_POLICY.read_bytes()
    bodies = {"hang": good + HANG, "crash": good + CRASH}
    names = ["good1", "good2", "hang", "good3", "crash", "good4", "good5", "good6"]
    for name in names:
        d = root / f"www.{name}.example"
        d.mkdir(parents=True)
        (d / "privacy.html").write_bytes(bodies.get(name, good))
        (d / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    with LiveSiteServer(root=root) as live:
        sites = tmp_path / "sites.txt"
        sites.write_text(
            "".join(f"{n}.example,{live.url(f'www.{n}.example', '/privacy.html')}\n" for n in names)
        )
        proc = run_cli(
            "live",
            "--sites",
            str(sites),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "-s",
            "POLICYARCHIVE_DOC_TIMEOUT=5",
            "-s",
            f"POLICYARCHIVE_PROCESSOR={MISBEHAVING}",
            "-s",
            "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    fetches = read(tmp_path / "out", "fetches")
    policy_rows = fetches[fetches.kind == "policy"]
    outcome = {r.site: r.outcome for r in policy_rows.itertuples()}
    assert outcome["hang.example"] == "timeout"
    assert outcome["crash.example"] == "worker_crashed"
    good_sites = {f"{n}.example" for n in names if n.startswith("good")}
    assert {s for s, o in outcome.items() if o == "ok"} == good_sites
    assert set(read(tmp_path / "out", "policies").site) == good_sites
    # the run says what happened, and the manifest counts it
    assert "timeout" in proc.stderr and "worker_crashed" in proc.stderr
    # a dropped page is logged by site and URL, never with its body (pages run to megabytes)
    assert "hang.example" in proc.stderr
    assert HANG.decode() not in proc.stderr and CRASH.decode() not in proc.stderr
    (manifest,) = (tmp_path / "out" / "runs").glob("*.json")
    failures = json.loads(manifest.read_text())["counts"]["failures_by_reason"]
    assert failures["timeout"] == 1 and failures["worker_crashed"] == 1
    shutil.rmtree(tmp_path / "out")
