"""One run on many nodes: live crawls of a local farm through a real Redis.

Two nodes give exactly the rows one node gives; a node killed with SIGKILL in the middle
loses nothing and duplicates nothing (the other node takes its sites over when its leases
run out); a Redis restarted in the middle (persistence on) does not stop the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import redis

from tests.crawl import ROOT, read
from tests.farm import POLICY_TEMPLATE, build_farm
from tests.redis_server import RedisServer, redis_binary
from tests.servers import LiveSiteServer

if redis_binary() is None:
    if os.environ.get("CI"):
        raise RuntimeError("redis-server is missing: `make setup` should have installed it")
    pytest.skip("redis-server not installed: run `make setup`", allow_module_level=True)

FARM_SITES = 1000


def _policy_page(i: int) -> str:
    return POLICY_TEMPLATE.format(
        i=i, host="shared.farm.example", name=f"Shared {i}", topic="orders"
    )


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveSiteServer, Path]]:
    root = tmp_path_factory.mktemp("farm")
    hosts = build_farm(root / "www", FARM_SITES)
    with LiveSiteServer(root / "www") as server:
        server.start()
        sites = root / "sites.txt"
        sites.write_text("".join(f"{server.url(h)}\n" for h in hosts))
        yield server, sites


def node(
    sites: Path, out: Path, *, redis_url: str | None = None, run: str | None = None, **s: str
) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "crawler.cli", "live", "--sites", str(sites), "--out", str(out)]
    args += [
        "--workers",
        "0",
        "-s",
        "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
    ]
    args += ["-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]
    args += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "POLICYARCHIVE_COMMIT_DOCUMENTS=25"]
    if redis_url:
        args += ["--redis", redis_url, "--run", run or "test"]
    for k, v in s.items():
        args += ["-s", f"{k}={v}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(p: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out


def rows(out: Path) -> dict[str, pd.DataFrame]:
    return {ds: read(out, ds) for ds in ("policies", "clauses", "fetches")}


def identity(df: pd.DataFrame, ds: str) -> pd.Series:
    """What makes a row the same row in two runs (run ids and fetch times differ)."""
    if ds == "policies":
        return df.policy_id
    if ds == "clauses":
        return df.clause_id
    return df.site + "|" + df.url + "|" + df.kind + "|" + df.outcome


@pytest.fixture(scope="module")
def one_node(farm: tuple[LiveSiteServer, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    _, sites = farm
    out = tmp_path_factory.mktemp("one") / "out"
    code, log = finish(node(sites, out))
    assert code == 0, log[-3000:]
    return rows(out)


def test_two_nodes_give_the_rows_one_node_gives(
    farm: tuple[LiveSiteServer, Path], one_node: dict, tmp_path: Path
) -> None:
    _, sites = farm
    out = tmp_path / "out"
    with RedisServer() as srv:
        a = node(sites, out, redis_url=srv.url, run="pair")
        b = node(sites, out, redis_url=srv.url, run="pair")
        (ca, la), (cb, lb) = finish(a), finish(b)
        assert ca == 0, la[-3000:]
        assert cb == 0, lb[-3000:]
        r = redis.Redis.from_url(srv.url)
        assert r.scard("policyarchive:pair:done") == FARM_SITES
    two = rows(out)
    assert len(one_node["policies"]) == FARM_SITES
    for ds in ("policies", "clauses", "fetches"):
        ids = identity(two[ds], ds)
        assert not ids.duplicated().any(), f"{ds}: duplicate rows"
        assert set(ids) == set(identity(one_node[ds], ds)), ds
    # both nodes did a share of the work, each in its own part files
    runs = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    docs = [m["counts"]["rows"].get("policies", 0) for m in runs]
    assert len(runs) == 2 and all(d > 0 for d in docs) and sum(docs) == FARM_SITES
    assert all(m["status"] == "complete" for m in runs)


def wait_done(url: str, run: str, at_least: int, timeout: float = 300) -> None:
    r = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while r.scard(f"policyarchive:{run}:done") < at_least:
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.1)


def test_a_killed_node_loses_nothing_and_duplicates_nothing(
    farm: tuple[LiveSiteServer, Path], one_node: dict, tmp_path: Path
) -> None:
    _, sites = farm
    out = tmp_path / "out"
    with RedisServer() as srv:
        fast = {"POLICYARCHIVE_LEASE_SECONDS": "3", "POLICYARCHIVE_NODE_POLL_SECONDS": "0.5"}
        victim = node(sites, out, redis_url=srv.url, run="kill", **fast)
        survivor = node(sites, out, redis_url=srv.url, run="kill", **fast)
        wait_done(srv.url, "kill", FARM_SITES // 4)
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
        code, log = finish(survivor)
        assert code == 0, log[-3000:]
        assert redis.Redis.from_url(srv.url).scard("policyarchive:kill:done") == FARM_SITES
    got = rows(out)
    # a site whose document the killed node committed, but not yet the site itself, is
    # crawled again: its page is refused as already stored, and fetches says so
    again = got["fetches"].outcome == "already_stored"
    assert (got["fetches"][again].kind == "policy").all()
    got["fetches"] = got["fetches"][~again]
    for ds in ("policies", "clauses", "fetches"):
        ids = identity(got[ds], ds)
        assert not ids.duplicated().any(), f"{ds}: duplicate rows after the kill"
        assert set(ids) == set(identity(one_node[ds], ds)), f"{ds}: rows lost after the kill"


def test_a_redis_restart_does_not_stop_the_run(
    farm: tuple[LiveSiteServer, Path], one_node: dict, tmp_path: Path
) -> None:
    _, sites = farm
    out = tmp_path / "out"
    with RedisServer() as srv:
        a = node(sites, out, redis_url=srv.url, run="restart")
        wait_done(srv.url, "restart", FARM_SITES // 4)
        srv.restart()
        code, log = finish(a)
        assert code == 0, log[-3000:]
    got = rows(out)
    for ds in ("policies", "clauses", "fetches"):
        ids = identity(got[ds], ds)
        assert not ids.duplicated().any(), ds
        assert set(ids) == set(identity(one_node[ds], ds)), ds


def test_nodes_share_one_rate_limit_per_host(tmp_path: Path) -> None:
    """Two nodes crawling policies that all live on one host ask it no faster than one."""
    root = tmp_path / "www"
    host = "www.shared.farm.example"
    (root / host).mkdir(parents=True)
    for i in range(20):
        (root / host / f"p{i}.html").write_text(_policy_page(i))
    with LiveSiteServer(root) as server, RedisServer() as srv:
        server.start()
        sites = tmp_path / "sites.txt"
        sites.write_text(
            "".join(f"site{i}.example,{server.url(host, f'/p{i}.html')}\n" for i in range(20))
        )
        limits = {
            "POLICYARCHIVE_THROTTLE_LOOPBACK": "True",
            "POLICYARCHIVE_LIVE_PER_SECOND": "1",
            "POLICYARCHIVE_NODE_SITES": "2",  # both nodes get a share of the sites
        }
        a = node(sites, tmp_path / "out", redis_url=srv.url, run="polite", **limits)
        b = node(sites, tmp_path / "out", redis_url=srv.url, run="polite", **limits)
        (ca, la), (cb, lb) = finish(a), finish(b)
        assert ca == 0, la[-3000:]
        assert cb == 0, lb[-3000:]
        times = sorted(r.at for r in server.requests_for(host))
    assert len(times) >= 21  # twenty policies and each node's robots.txt
    # one schedule of one request a second for both nodes: the 21st request cannot start
    # before 20 slots have passed; two schedules side by side take about half that
    assert times[-1] - times[0] >= 19, [round(t - times[0], 2) for t in times]
    runs = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*.json")]
    assert sorted(m["counts"]["rows"].get("policies", 0) > 0 for m in runs) == [True, True]


def test_later_runs_of_any_name_store_nothing_twice(
    farm: tuple[LiveSiteServer, Path], tmp_path: Path
) -> None:
    """A weekly distributed job runs under a new name each week; a single-node run may
    follow on the same output: what any earlier run stored is stored once."""
    _, all_sites = farm
    sites = tmp_path / "sites.txt"
    sites.write_text("".join(all_sites.read_text().splitlines(keepends=True)[:60]))
    out = tmp_path / "out"
    with RedisServer() as srv:
        a = node(sites, out, redis_url=srv.url, run="week1")
        b = node(sites, out, redis_url=srv.url, run="week1")
        for code, log in (finish(a), finish(b)):
            assert code == 0, log[-3000:]
        first = rows(out)
        assert len(first["policies"]) == 60
        # the nodes' records joined the output's when they ended
        assert not list((out / "nodes").glob("*/state.sqlite"))
        code, log = finish(node(sites, out, redis_url=srv.url, run="week2"))
        assert code == 0, log[-3000:]
    code, log = finish(node(sites, out))  # and a plain run after them
    assert code == 0, log[-3000:]
    got = rows(out)
    for ds in ("policies", "clauses"):
        assert len(got[ds]) == len(first[ds]), f"{ds}: stored again by a later run"
    new = got["fetches"][
        ~identity(got["fetches"], "fetches").isin(identity(first["fetches"], "fetches"))
    ]
    assert set(new.outcome) == {"already_stored"}, new[["url", "outcome"]].head()
    status = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "status", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert status.returncode == 0, status.stderr
    assert "documents: 60 from 60 sites" in status.stdout, status.stdout
