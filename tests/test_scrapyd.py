"""The project deploys to a real Scrapyd as it is, and schedule.json runs its spiders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawl import read
from tests.scrapyd_server import ScrapydServer, build_egg
from tests.servers import LiveSiteServer


@pytest.fixture(scope="module")
def live() -> Iterator[LiveSiteServer]:
    with LiveSiteServer() as server:
        server.start()
        yield server


def test_deployed_egg_runs_the_live_spider(live: LiveSiteServer, tmp_path: Path) -> None:
    egg = build_egg(tmp_path)
    sites = tmp_path / "sites.txt"
    sites.write_text("".join(f"{live.url(h)}\n" for h in ("www.alpha.example", "www.beta.example")))
    out = tmp_path / "out"
    with ScrapydServer() as scrapyd:
        added = scrapyd.add_version("policyarchive", "1", egg)
        assert added["status"] == "ok", added
        assert added["spiders"] >= 2  # live, wayback (and whatever else the project has)
        listed = scrapyd.get("listspiders.json", project="policyarchive")
        assert {"live", "wayback"} <= set(listed["spiders"])
        job = scrapyd.post(
            "schedule.json",
            [
                ("project", "policyarchive"),
                ("spider", "live"),
                ("sites", str(sites)),
                ("setting", f"OUTPUT_DIR={out}"),
                ("setting", "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"})),
                ("setting", "POLICYARCHIVE_WORKERS=1"),
            ],
        )
        assert job["status"] == "ok", job
        scrapyd.wait_finished("policyarchive", [job["jobid"]])
        log = scrapyd.job_log("policyarchive", "live", job["jobid"])
    assert "Traceback" not in log, log[-4000:]
    policies = read(out, "policies")
    assert sorted(s.split(":")[0] for s in policies.site) == ["alpha.example", "beta.example"]
    assert policies.clause_count.min() > 0  # the model loaded from inside the egg
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert manifest["status"] == "complete", manifest
