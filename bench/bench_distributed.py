"""One run on two nodes against one node: the distributed run's speed-up, side by side.

A farm of live sites (:class:`bench.sites.BenchSites`: real policy pages of the corpus) is
crawled by one node with one worker process, then by two nodes with one worker each (same
Redis, same run name, same output), started from a shell and then by a real Scrapyd
(``schedule.json`` twice). The ratio is the one node's wall time over the two nodes'.
The machine has 2 cores: two nodes with one worker each can use both.

    python bench/bench_distributed.py [--sites 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import load_pages  # noqa: E402
from bench.sites import BenchSites  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.scrapyd_server import ScrapydServer, build_egg  # noqa: E402

SETTINGS = {
    "POLICYARCHIVE_RESOLVE": json.dumps({"*.example": "127.0.0.1"}),
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "POLICYARCHIVE_WORKERS": "1",
    "LOG_LEVEL": "WARNING",
}


def _cli(sites: Path, out: Path, redis_url: str, run: str) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.cli", "live", "--sites", str(sites), "--out", str(out)]
    cmd += ["--redis", redis_url, "--run", run]
    for k, v in SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def _documents(out: Path) -> int:
    return sum(
        json.loads(p.read_text())["counts"]["rows"].get("policies", 0)
        for p in (out / "runs").glob("*.json")
    )


def shell_nodes(bodies: list[bytes], n_sites: int, nodes: int) -> tuple[float, int]:
    with (
        tempfile.TemporaryDirectory(prefix="pa-bench-dist-") as tmp,
        BenchSites(bodies) as web,
        RedisServer() as srv,
    ):
        sites = web.write_sites_file(Path(tmp) / "sites.txt", n_sites)
        out = Path(tmp) / "out"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.monotonic()
        procs = [
            subprocess.Popen(
                _cli(sites, out, srv.url, "bench"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(nodes)
        ]
        codes = [p.wait() for p in procs]
        seconds = time.monotonic() - t0
        docs = _documents(out)
        if any(codes):
            raise RuntimeError(f"{nodes} node(s): exit {codes}")
        return seconds, docs  # a few corpus pages are not policies: compared across runs


def scrapyd_nodes(bodies: list[bytes], n_sites: int, nodes: int) -> tuple[float, int]:
    with (
        tempfile.TemporaryDirectory(prefix="pa-bench-scrapyd-") as tmp,
        BenchSites(bodies) as web,
        RedisServer() as srv,
        ScrapydServer(max_proc=nodes) as scrapyd,
    ):
        sites = web.write_sites_file(Path(tmp) / "sites.txt", n_sites)
        out = Path(tmp) / "out"
        scrapyd.add_version("policyarchive", "1", build_egg(Path(tmp)))
        fields = [("project", "policyarchive"), ("spider", "live"), ("sites", str(sites))]
        fields += [("setting", f"{k}={v}") for k, v in SETTINGS.items()]
        fields += [
            ("setting", f"OUTPUT_DIR={out}"),
            ("setting", f"POLICYARCHIVE_REDIS_URL={srv.url}"),
            ("setting", "POLICYARCHIVE_RUN_NAME=bench"),
        ]
        t0 = time.monotonic()
        jobs = [scrapyd.post("schedule.json", fields)["jobid"] for _ in range(nodes)]
        scrapyd.wait_finished("policyarchive", jobs, timeout=3600)
        seconds = time.monotonic() - t0
        return seconds, _documents(out)


def measure(n_sites: int) -> dict[str, object]:
    data = shared_data_dir()
    if data is None:
        raise SystemExit("the corpus in ../shared/data is needed (real policy pages)")
    bodies = [p.body for p in load_pages(data)]
    (one, d1), (two, d2) = shell_nodes(bodies, n_sites, 1), shell_nodes(bodies, n_sites, 2)
    (s_one, d3), (s_two, d4) = scrapyd_nodes(bodies, n_sites, 1), scrapyd_nodes(bodies, n_sites, 2)
    if len({d1, d2, d3, d4}) != 1:
        raise RuntimeError(f"documents differ between runs: {d1}, {d2}, {d3}, {d4}")
    return {
        "documents": d1,
        "sites": n_sites,
        "one_node_s": round(one, 1),
        "two_nodes_s": round(two, 1),
        "ratio_two_nodes_vs_one": round(one / two, 3),
        "scrapyd_one_node_s": round(s_one, 1),
        "scrapyd_two_nodes_s": round(s_two, 1),
        "ratio_two_nodes_vs_one_scrapyd": round(s_one / s_two, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=600)
    a = ap.parse_args(argv)
    print(json.dumps(measure(a.sites), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
