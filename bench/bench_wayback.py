"""Archive requests per new policy version, on a pywb archive full of identical re-captures.

The archive (built with pipelines/storage/warcbuild.py): SITES sites, 2005–2014, each policy URL
captured every two months (60 captures), its text changing 4–8 times (real pages from the
corpus stand in for the versions), so most captures repeat the version before. Three sites
in four name their policy URL; the rest are found through an archived homepage (captured as
often, never changing). The crawl runs ``--every capture`` (every distinct version) and we
count what it asked the archive for (CDX + replay; Scrapy's downloader request count less
the one local ``data:`` request per site) per policy version stored.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from crawler.pywb_server import PywbServer, find_pywb_python
from pipelines.storage.warcbuild import CaptureSpec, build_warc

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
YEARS = range(2005, 2015)
MONTHS = (1, 3, 5, 7, 9, 11)


def _home(i: int) -> bytes:
    return (
        f"<html><head><title>Site {i}</title></head><body><h1>Welcome to site {i}</h1>"
        f"<p>News, products and more.</p><ul><li><a href='/about.html'>About us</a></li>"
        f"<li><a href='/privacy.html'>Privacy Policy</a></li></ul></body></html>"
    ).encode()


def build_archive(bodies: list[bytes], sites: int, path: Path) -> tuple[list[str], int, int]:
    """Write the WARC; returns (sites-file lines, distinct versions, policy captures)."""
    caps: list[CaptureSpec] = []
    lines: list[str] = []
    versions = 0
    stamps = [f"{y}{m:02d}15120000" for y in YEARS for m in MONTHS]
    for i in range(sites):
        host = f"www.w{i:03d}.example"
        policy = f"http://{host}/privacy.html"
        n_versions = 4 + i % 5
        versions += n_versions
        for k, ts in enumerate(stamps):
            v = k * n_versions // len(stamps)
            body = bodies[(i * 8 + v) % len(bodies)]
            caps.append(CaptureSpec(url=policy, timestamp=ts, body=body))
        if i % 4 == 3:
            lines.append(f"w{i:03d}.example")
            for ts in stamps:
                caps.append(
                    CaptureSpec(url=f"http://{host}/", timestamp=ts[:-4] + "0000", body=_home(i))
                )
        else:
            lines.append(f"w{i:03d}.example,{policy}")
    build_warc(caps, path)
    return lines, versions, sites * len(stamps)


def every_capture_crawl(sites: Path, archive: str, out: Path, workers: int) -> list[str]:
    """The command line of a ``--every capture`` wayback crawl, 2005–2014."""
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "wayback",
        "--sites",
        str(sites),
        "--from",
        "2005",
        "--to",
        "2014",
        "--every",
        "capture",
        "--archive",
        archive,
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]


def run(bodies: list[bytes], sites: int, workers: int) -> dict[str, float]:
    if find_pywb_python() is None:
        raise RuntimeError("pywb's virtualenv is missing: run `make setup` (it creates .venv-pywb)")
    # small pages keep the archive small; version texts still differ page by page
    small = sorted(bodies, key=len)[: max(40, len(bodies) // 2)]
    with tempfile.TemporaryDirectory(prefix="pa-bench-wb-") as tmp:
        work = Path(tmp)
        lines, versions, captures = build_archive(small, sites, work / "bench.warc.gz")
        (work / "sites.txt").write_text("\n".join(lines) + "\n")
        with PywbServer([work / "bench.warc.gz"], work / "pywb") as server:
            base = server.start()
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            proc = subprocess.run(
                every_capture_crawl(work / "sites.txt", base, work / "out", workers),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"wayback bench crawl failed:\n{proc.stderr[-3000:]}")
        m = re.search(r"'downloader/request_count': (\d+)", proc.stderr)
        if m is None:
            raise RuntimeError("no downloader/request_count in the crawl's stats dump")
        requests = int(m.group(1)) - sites  # one data: request per site starts its story
        (manifest,) = (work / "out" / "runs").glob("*.json")
        stored = json.loads(manifest.read_text())["counts"]["rows"]["policies"]
        fetches = pd.read_parquet(work / "out" / "fetches")
        cdx = int((fetches.kind == "cdx").sum())
        # versions the crawl handed to the pipeline: stored, or refused with a reason
        new = int(((fetches.kind == "policy") & fetches.archive_url.notna()).sum())
    return {
        "sites": sites,
        "captures": captures,
        "versions_in_archive": versions,
        "versions_stored": stored,
        "versions_processed": new,
        "archive_requests": requests,
        "cdx_requests": cdx,
        "requests_per_new_version": round(requests / new, 3) if new else float("inf"),
        "naive_requests_per_new_version": round((sites + captures) / versions, 2),
    }
