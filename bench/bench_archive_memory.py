"""Memory of a wayback crawl over a large local pywb archive, watched while it runs.

    .venv/bin/python bench/bench_archive_memory.py [--sites 800] [--workers 2]

The archive: SITES sites, 2005–2014, each policy URL captured every six months (20
captures), its text changing 4–8 times (real pages from the corpus, made unique per site
and version); a capture that repeats the one before is a WARC revisit record, as the
Internet Archive stores most re-captures. One site in four names no policy URL: it is found
through its homepage (captured as often, with a link to the policy and an about page), so
its host's one-page CDX listing is held while the site is crawled. The crawl runs
``--every capture`` with worker processes; the resident memory of its whole process tree
(crawler + workers; pywb is not ours and not counted) is sampled every second. Prints one
JSON object: the peak so far at each quarter of the run, the documents and clauses
written, the outcomes and the archive requests (CDX queries, replays). Not part of
``make bench`` (it takes about 16 minutes on 2 cores with the default 800 sites).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_crawl import tree_rss_mb  # noqa: E402
from bench.bench_wayback import every_capture_crawl  # noqa: E402
from bench.corpus import Page, load_pages  # noqa: E402
from crawler.pywb_server import PywbServer, find_pywb_python  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.storage.warcbuild import CaptureSpec, build_warc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STAMPS = [f"{y}{m:02d}15120000" for y in range(2005, 2015) for m in (2, 8)]


def build_archive(pages: Sequence[Page], sites: int, path: Path) -> tuple[list[str], int]:
    """Write the WARC; returns (sites-file lines, distinct versions)."""
    caps: list[CaptureSpec] = []
    lines: list[str] = []
    versions = 0
    for i in range(sites):
        policy = f"http://www.w{i:04d}.example/privacy.html"
        n_versions = 4 + i % 5
        versions += n_versions
        last = -1
        for k, ts in enumerate(STAMPS):
            v = k * n_versions // len(STAMPS)
            mark = f"<p>Revision {i}-{v} of this policy for site number {i}.</p></body>"
            body = pages[(i * 7 + v) % len(pages)].body.replace(b"</body>", mark.encode(), 1)
            caps.append(CaptureSpec(url=policy, timestamp=ts, body=body, revisit=v == last))
            last = v
        if i % 4 == 3:  # found through the homepage: the host listing is in play
            home = f"http://www.w{i:04d}.example/"
            body = (
                f"<html><body><h1>Site {i}</h1><a href='/about.html'>About</a> "
                "<a href='/privacy.html'>Privacy Policy</a></body></html>"
            ).encode()
            for k, ts in enumerate(STAMPS):
                caps.append(CaptureSpec(url=home, timestamp=ts, body=body, revisit=k > 0))
                caps.append(CaptureSpec(url=home + "about.html", timestamp=ts, body=b"About"))
            lines.append(f"w{i:04d}.example")
        else:
            lines.append(f"w{i:04d}.example,{policy}")
    build_warc(caps, path)
    return lines, versions


def run(pages: Sequence[Page], sites: int, workers: int) -> dict[str, object]:
    if find_pywb_python() is None:
        raise RuntimeError("pywb's virtualenv is missing: run `make setup` (it creates .venv-pywb)")
    with tempfile.TemporaryDirectory(prefix="pa-bench-mem-") as tmp:
        work = Path(tmp)
        lines, versions = build_archive(pages, sites, work / "big.warc.gz")
        (work / "sites.txt").write_text("\n".join(lines) + "\n")
        out = work / "out"
        with PywbServer([work / "big.warc.gz"], work / "pywb") as server:
            cmd = every_capture_crawl(work / "sites.txt", server.start(), out, workers)
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            with (work / "crawl.log").open("wb") as log:
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
                samples: list[float] = []
                while proc.poll() is None:
                    samples.append(tree_rss_mb(proc.pid))
                    time.sleep(1.0)
        manifests = list((out / "runs").glob("*.json"))
        if proc.returncode != 0 or not manifests:
            tail = (work / "crawl.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"crawl failed (exit {proc.returncode}):\n{tail}")
        counts = json.loads(manifests[0].read_text())["counts"]
        log_text = (work / "crawl.log").read_text(errors="replace")
    requests = {
        kind: int(m.group(1)) if m else 0
        for kind in ("cdx", "replay")
        for m in [re.search(rf"'policyarchive/politeness/requests/{kind}': (\d+)", log_text)]
    }
    n = len(samples)
    return {
        "sites": sites,
        "captures": sites * len(STAMPS),
        "versions_in_archive": versions,
        "documents": counts["rows"]["policies"],
        "clauses": counts["rows"]["clauses"],
        "fetch_outcomes": counts["fetch_outcomes"],
        "archive_requests": requests,
        "seconds": n,
        "peak_rss_mb_by_quarter": [
            round(max(samples[: max(1, n * q // 4)]), 1) for q in (1, 2, 3, 4)
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=800)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    data = shared_data_dir()
    if data is None:
        print(json.dumps({"skipped": "real-world corpora not found"}))
        return 0
    # the smaller half of the pages keeps the WARC under 100 MB at 800 sites
    pages = sorted(load_pages(data), key=lambda p: len(p.body))[:100]
    print(json.dumps(run(pages, args.sites, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
