"""Live crawls of many local sites: pages per second (inline vs worker pool) and memory.

Each crawl runs the real console script in a subprocess against :class:`BenchSites` (one
real policy page per site, cycling through the corpus), while this process samples the
resident memory of the crawl's whole process tree (the crawler and its workers).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.sites import EVERY_HOST_HERE, BenchSites

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB."""
    kids = _children()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            continue
    return total / 1e6


@dataclass
class CrawlResult:
    pages: int
    workers: int
    seconds: float  # the run's own start → finish (manifest)
    documents: int
    peak_rss_mb: float
    rss_at: dict[int, float] = field(default_factory=dict)  # pages served → peak RSS so far
    exit_status: int = 0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def crawl(
    bodies: list[bytes],
    n: int,
    workers: int,
    *,
    processor: str | None = None,
    marks: tuple[int, ...] = (),
    timeout: float = 1800,
    settings: Sequence[str] = (),
) -> CrawlResult:
    with tempfile.TemporaryDirectory(prefix="pa-bench-crawl-") as tmp, BenchSites(bodies) as web:
        sites = web.write_sites_file(Path(tmp) / "sites.txt", n)
        out = Path(tmp) / "out"
        cmd = [
            sys.executable,
            "-m",
            "crawler.cli",
            "live",
            "--sites",
            str(sites),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--log-level",
            "WARNING",
            "-s",
            "POLICYARCHIVE_RESOLVE=" + json.dumps(EVERY_HOST_HERE),
            # one request per host: politeness delays would measure AutoThrottle, not us
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CONCURRENT_REQUESTS=16",
        ]
        if processor:
            cmd += ["-s", f"POLICYARCHIVE_PROCESSOR={processor}"]
        for setting in settings:  # NAME=VALUE
            cmd += ["-s", setting]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = (Path(tmp) / "crawl.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak, rss_at = 0.0, {}
        pending = sorted(marks)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                break
            peak = max(peak, tree_rss_mb(proc.pid))
            while pending and web.served >= pending[0]:
                rss_at[pending.pop(0)] = round(peak, 1)
            time.sleep(0.25)
        proc.wait()
        log.close()
        for m in pending:
            rss_at[m] = round(peak, 1)
        manifests = list((out / "runs").glob("*.json"))
        if proc.returncode != 0 or not manifests:
            tail = (Path(tmp) / "crawl.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"bench crawl failed (exit {proc.returncode}):\n{tail}")
        m = json.loads(manifests[0].read_text())
        seconds = (
            datetime.fromisoformat(m["finished_at"]) - datetime.fromisoformat(m["started_at"])
        ).total_seconds()
        return CrawlResult(
            pages=web.served,
            workers=workers,
            seconds=seconds,
            documents=m["counts"]["rows"]["policies"],
            peak_rss_mb=round(peak, 1),
            rss_at=rss_at,
            exit_status=proc.returncode,
        )
