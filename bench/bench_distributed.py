"""One run on two nodes against one node: the distributed run's speed-up, side by side.

A farm of live sites (:class:`bench.sites.BenchSites`: real policy pages of the corpus) is
crawled by one node with one worker process, then by two nodes with one worker each (same
Redis, same run name, same output), started from a shell and then by real Scrapyd servers.

A node stands for a machine: each node is held to a core of its own (CPU affinity, which its
worker process inherits), so "two nodes" is what adding a second machine gives. Scrapyd runs
as it would on each machine: one server per node, held to that node's core. The ratio is the
one node's wall time over the two nodes'. For comparison, the same shell runs without
affinity (``unpinned``): there one node's Scrapy process and worker already share both cores,
so the second node can only take what is left (each run's CPU seconds are printed).

    python bench/bench_distributed.py [--sites 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import load_pages  # noqa: E402
from bench.sites import EVERY_HOST_HERE, BenchSites  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.scrapyd_server import ScrapydServer, build_egg  # noqa: E402

SETTINGS = {
    "POLICYARCHIVE_RESOLVE": json.dumps(EVERY_HOST_HERE),
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


def _cores(nodes: int, pin: bool) -> list[set[int] | None]:
    """The core each node is held to (None: any core)."""
    if not pin:
        return [None] * nodes
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < nodes:
        raise SystemExit(f"{nodes} nodes need {nodes} cores; this machine lets us use {cores}")
    return [{c} for c in cores[:nodes]]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def shell_nodes(
    bodies: list[bytes], n_sites: int, nodes: int, pin: bool = True
) -> tuple[float, int, float]:
    """(wall seconds, documents, CPU seconds of the nodes and their workers)."""
    with (
        tempfile.TemporaryDirectory(prefix="pa-bench-dist-") as tmp,
        BenchSites(bodies) as web,
        RedisServer() as srv,
    ):
        sites = web.write_sites_file(Path(tmp) / "sites.txt", n_sites)
        out = Path(tmp) / "out"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        cpu0 = _children_cpu()
        t0 = time.monotonic()
        procs = []
        for cores in _cores(nodes, pin):
            proc = subprocess.Popen(
                _cli(sites, out, srv.url, "bench"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if cores is not None:
                os.sched_setaffinity(proc.pid, cores)  # before it spawns its worker
            procs.append(proc)
        codes = [p.wait() for p in procs]
        seconds = time.monotonic() - t0
        cpu = _children_cpu() - cpu0
        docs = _documents(out)
        if any(codes):
            raise RuntimeError(f"{nodes} node(s): exit {codes}")
        return seconds, docs, cpu  # a few corpus pages are not policies: compared across runs


def scrapyd_nodes(bodies: list[bytes], n_sites: int, nodes: int) -> tuple[float, int]:
    """One Scrapyd server per node (per machine), each held to its node's core."""
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pa-bench-scrapyd-")))
        web = stack.enter_context(BenchSites(bodies))
        srv = stack.enter_context(RedisServer())
        servers = [
            stack.enter_context(ScrapydServer(max_proc=1, cores=cores))
            for cores in _cores(nodes, pin=True)
        ]
        sites = web.write_sites_file(tmp / "sites.txt", n_sites)
        out = tmp / "out"
        egg = build_egg(tmp)
        for scrapyd in servers:
            scrapyd.add_version("policyarchive", "1", egg)
        fields = [("project", "policyarchive"), ("spider", "live"), ("sites", str(sites))]
        fields += [("setting", f"{k}={v}") for k, v in SETTINGS.items()]
        fields += [
            ("setting", f"OUTPUT_DIR={out}"),
            ("setting", f"POLICYARCHIVE_REDIS_URL={srv.url}"),
            ("setting", "POLICYARCHIVE_RUN_NAME=bench"),
        ]
        t0 = time.monotonic()
        jobs = [(s, s.post("schedule.json", fields)["jobid"]) for s in servers]
        for scrapyd, job in jobs:
            scrapyd.wait_finished("policyarchive", [job], timeout=3600)
        seconds = time.monotonic() - t0
        return seconds, _documents(out)


def measure(n_sites: int) -> dict[str, object]:
    data = shared_data_dir()
    if data is None:
        raise SystemExit("the corpus in ../shared/data is needed (real policy pages)")
    bodies = [p.body for p in load_pages(data)]
    one, d1, cpu1 = shell_nodes(bodies, n_sites, 1)
    two, d2, cpu2 = shell_nodes(bodies, n_sites, 2)
    (s_one, d3), (s_two, d4) = scrapyd_nodes(bodies, n_sites, 1), scrapyd_nodes(bodies, n_sites, 2)
    u_one, d5, u_cpu1 = shell_nodes(bodies, n_sites, 1, pin=False)
    u_two, d6, u_cpu2 = shell_nodes(bodies, n_sites, 2, pin=False)
    if len({d1, d2, d3, d4, d5, d6}) != 1:
        raise RuntimeError(f"documents differ between runs: {d1}, {d2}, {d3}, {d4}, {d5}, {d6}")
    return {
        "documents": d1,
        "sites": n_sites,
        "one_node_s": round(one, 1),
        "two_nodes_s": round(two, 1),
        "ratio_two_nodes_vs_one": round(one / two, 3),
        "cpu_s": {"one_node": round(cpu1, 1), "two_nodes": round(cpu2, 1)},
        "scrapyd_one_node_s": round(s_one, 1),
        "scrapyd_two_nodes_s": round(s_two, 1),
        "ratio_two_nodes_vs_one_scrapyd": round(s_one / s_two, 3),
        "unpinned": {
            "one_node_s": round(u_one, 1),
            "two_nodes_s": round(u_two, 1),
            "ratio_two_nodes_vs_one": round(u_one / u_two, 3),
            "cpu_s": {"one_node": round(u_cpu1, 1), "two_nodes": round(u_cpu2, 1)},
            # one node already keeps this many of the machine's cores busy
            "one_node_cores_busy": round(u_cpu1 / u_one, 2),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=2000)
    a = ap.parse_args(argv)
    print(json.dumps(measure(a.sites), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
