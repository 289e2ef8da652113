"""``make bench``: every throughput benchmark, side by side in one run, on the real pages.

    .venv/bin/python bench/run.py [--quick] [--only docs,crawl,...,changes,distributed]

Writes bench/results.json (merging: other benchmarks keep their keys) and prints a table.
Skips with a message when the real-world corpora (../shared/data or $POLICYARCHIVE_DATA)
are absent. ``--quick`` shrinks every run for development; its numbers are noisier.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_crawl import crawl  # noqa: E402
from bench.corpus import load_pages  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
MEMO = "bench.memo.process_page_memo"
ALL = ("classify", "docs", "crawl", "memory", "wayback", "changes", "distributed")


def merge_results(values: dict[str, object]) -> None:
    current = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    current.update(values)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    tmp.replace(RESULTS)


def _py(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small runs for development")
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + str(ALL))
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    data = shared_data_dir()
    if data is None:
        print(
            "bench: skipped: the real-world corpora were not found "
            "(set POLICYARCHIVE_DATA or put them at ../shared/data)"
        )
        return 0
    quick = args.quick
    crawl_pages = 300 if quick else 2000
    memory_pages = (1000, 3000) if quick else (5000, 20000)
    wayback_sites = 8 if quick else 24
    workers = os.cpu_count() or 1
    bodies = [p.body for p in load_pages(data)]
    results: dict[str, object] = {}
    notes: dict[str, object] = {"quick": quick, "cores": workers, "corpus_pages": len(bodies)}
    began = time.monotonic()

    if "classify" in only:
        print("bench: classifier ...", flush=True)
        done = _py(
            "bench/bench_classify.py", "--data", str(data), "--repeat", "2" if quick else "5"
        )
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        print(done.stdout.strip())

    if "docs" in only:
        print("bench: extract-only vs pipeline, one process ...", flush=True)
        done = _py("bench/bench_docs.py", "--rounds", "2" if quick else "3")
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        d = json.loads(done.stdout.strip().splitlines()[-1])
        results["extract_only_docs_per_s"] = d["extract_only_docs_per_s"]
        results["pipeline_docs_per_s"] = d["pipeline_docs_per_s"]
        results["ratio_pipeline_vs_extract"] = d["ratio_pipeline_vs_extract"]
        notes["pipeline_stage_seconds"] = d["stage_seconds"]

    if "crawl" in only:
        print(f"bench: live crawl of {crawl_pages} pages, inline ...", flush=True)
        inline = crawl(bodies, crawl_pages, 0)
        print(f"bench: live crawl of {crawl_pages} pages, {workers} workers ...", flush=True)
        pool = crawl(bodies, crawl_pages, workers)
        results["crawl_pages_per_s"] = {
            "inline": round(inline.pages_per_s, 2),
            "pool": round(pool.pages_per_s, 2),
            "pages": crawl_pages,
            "workers": workers,
        }
        results["ratio_pool_vs_inline"] = round(pool.pages_per_s / inline.pages_per_s, 3)
        notes["crawl_peak_rss_mb"] = {"inline": inline.peak_rss_mb, "pool": pool.peak_rss_mb}

    if "memory" in only:
        small, big = memory_pages
        print(f"bench: memory over a {big}-document crawl, {workers} workers ...", flush=True)
        run = crawl(bodies, big, workers, processor=MEMO, marks=(small, big))
        results["peak_rss_mb"] = {
            str(small): run.rss_at[small],
            str(big): run.rss_at[big],
            "documents": run.documents,
            "workers": workers,
        }

    if "wayback" in only:
        from bench.bench_wayback import run as wayback_run

        print(f"bench: wayback, {wayback_sites} sites with identical re-captures ...", flush=True)
        w = wayback_run(bodies, wayback_sites, workers)
        results["wayback_requests_per_new_version"] = w["requests_per_new_version"]
        notes["wayback"] = w

    if "changes" in only:
        sites = 200 if quick else 1000
        print(f"bench: changes of {sites} sites x 10 versions, one core ...", flush=True)
        done = _py("bench/bench_changes.py", "--sites", str(sites), "--no-merge")
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        d = json.loads(done.stdout.strip().splitlines()[-1])
        results["changes_versions_per_s"] = d["changes_versions_per_s"]
        notes["changes"] = d

    if "distributed" in only:
        sites = 300 if quick else 2000
        print(f"bench: {sites} sites, one node vs two (shell, Scrapyd) ...", flush=True)
        done = _py("bench/bench_distributed.py", "--sites", str(sites))
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        d = json.loads(done.stdout)
        results["ratio_two_nodes_vs_one"] = d["ratio_two_nodes_vs_one"]
        results["ratio_two_nodes_vs_one_scrapyd"] = d["ratio_two_nodes_vs_one_scrapyd"]
        notes["distributed"] = d

    notes["seconds"] = round(time.monotonic() - began, 1)
    results["bench_notes"] = notes
    merge_results(results)
    print_table(json.loads(RESULTS.read_text()))
    return 0


GOALS = {
    "ratio_pipeline_vs_extract": ("≥ 0.85", lambda v: v >= 0.85),
    "ratio_pool_vs_inline": ("≥ 1.6", lambda v: v >= 1.6),
    "wayback_requests_per_new_version": ("≤ 1.2", lambda v: v <= 1.2),
    # 10,000 versions in under a minute
    "changes_versions_per_s": ("≥ 167", lambda v: v >= 10_000 / 60),
    "ratio_two_nodes_vs_one": ("≥ 1.7", lambda v: v >= 1.7),
    "ratio_two_nodes_vs_one_scrapyd": ("≥ 1.7", lambda v: v >= 1.7),
}


def print_table(r: dict[str, object]) -> None:
    rows: list[tuple[str, str, str]] = []

    def add(key: str, value: object, goal: str = "") -> None:
        rows.append((key, str(value), goal))

    for key in (
        "classify_clauses_per_s",
        "extract_only_docs_per_s",
        "pipeline_docs_per_s",
        "ratio_pipeline_vs_extract",
        "changes_versions_per_s",
    ):
        if key in r:
            add(key, r[key], _goal(key, r[key]))
    c = r.get("crawl_pages_per_s")
    if isinstance(c, dict):
        add("crawl_pages_per_s.inline", c["inline"])
        add(f"crawl_pages_per_s.pool ({c['workers']} workers)", c["pool"])
        add(
            "ratio_pool_vs_inline",
            r["ratio_pool_vs_inline"],
            _goal("ratio_pool_vs_inline", r["ratio_pool_vs_inline"]),
        )
    m = r.get("peak_rss_mb")
    if isinstance(m, dict):
        for k, v in m.items():
            if k.isdigit():
                ok = "ok" if float(v) < 600 else "MISSED"
                add(f"peak_rss_mb at {int(k):,} documents", v, f"< 600 MB: {ok}")
    if "wayback_requests_per_new_version" in r:
        v = r["wayback_requests_per_new_version"]
        add("wayback_requests_per_new_version", v, _goal("wayback_requests_per_new_version", v))
    for key in ("ratio_two_nodes_vs_one", "ratio_two_nodes_vs_one_scrapyd"):
        if key in r:
            add(key, r[key], _goal(key, r[key]))
    width = max(len(k) for k, _, _ in rows)
    print()
    for k, v, g in rows:
        print(f"  {k:<{width}}  {v:>10}  {g}")


def _goal(key: str, value: object) -> str:
    if key not in GOALS or not isinstance(value, int | float):
        return ""
    text, check = GOALS[key]
    return f"{text}: {'ok' if check(value) else 'MISSED'}"


if __name__ == "__main__":
    sys.exit(main())
