"""End to end: the live spider against fixture sites served on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.crawl import read, run_cli
from tests.servers import LiveSiteServer


class SaveStandIn:
    """A local stand-in for Save Page Now: answers like the real one, records what it got."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                owner.paths.append(self.path)
                owner.arrivals.append(time.monotonic())
                target = self.path.removeprefix("/save/")
                if "refuse" in target:
                    self.send_response(429)
                    self.end_headers()
                    return
                memento = f"https://web.archive.org/web/20261122000000/{target}"
                self.send_response(200)
                # the real service's Link header: waybackpy reads the memento URL from it
                self.send_header(
                    "Link",
                    f'<{target}>; rel="original", <{memento}>; '
                    f'rel="memento"; datetime="Sun, 22 Nov 2026 00:00:00 GMT", '
                    f'<{memento}>; rel="last memento"',
                )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/save/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def live() -> Iterator[LiveSiteServer]:
    with LiveSiteServer() as server:
        server.start()
        yield server


@pytest.fixture(scope="module")
def save_standin() -> Iterator[SaveStandIn]:
    s = SaveStandIn()
    yield s
    s.close()


@pytest.fixture(scope="module")
def live_run(
    live: LiveSiteServer, save_standin: SaveStandIn, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("live")
    sites = work / "sites.txt"
    sites.write_text(
        "".join(
            f"{live.url(h)}\n"
            for h in ("www.alpha.example", "www.beta.example", "www.gamma.example")
        )
    )
    proc = run_cli(
        "live",
        "--sites",
        str(sites),
        "--out",
        str(work / "out"),
        "--workers",
        "0",
        "--save-to-archive",
        "--save-endpoint",
        save_standin.endpoint,
        "-s",
        "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
        "-s",
        "POLICYARCHIVE_SAVE_PER_MINUTE=600",
    )
    return work / "out", proc


def test_live_policies_found_and_robots_obeyed(
    live_run: tuple[Path, object], live: LiveSiteServer
) -> None:
    out, proc = live_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(out, "policies")
    by_site = {r.site.split(":")[0]: r for r in policies.itertuples()}
    assert set(by_site) == {"alpha.example", "beta.example"}
    assert by_site["alpha.example"].policy_url.endswith(
        f"www.alpha.example:{live.port}/privacy.html"
    )
    # beta's policy lives on another host; the row keeps the site as named
    assert "legal.betagroup.example" in by_site["beta.example"].policy_url
    assert (policies.source == "live").all() and policies.archive_url.isna().all()
    # gamma's robots.txt disallows /legal/: never requested, and said so in fetches
    assert not [r for r in live.requests_for("www.gamma.example") if r.path.startswith("/legal/")]
    fetches = read(out, "fetches")
    gamma = fetches[fetches.site.str.startswith("gamma.example")]
    assert "robots_disallowed" in set(gamma.outcome)
    assert "no_policy_found" in set(gamma.outcome)
    # an honest User-Agent on every request
    assert all(r.user_agent.startswith("policyarchive/") for r in live.requests)


def test_save_to_archive_records_each_outcome(
    live_run: tuple[Path, object], save_standin: SaveStandIn
) -> None:
    out, _ = live_run
    fetches = read(out, "fetches")
    saves = fetches[fetches.kind == "save"]
    assert len(saves) == 2 and set(saves.outcome) == {"saved"}
    assert all("web.archive.org/web/20261122000000/" in d for d in saves.detail)
    assert sorted(p.split("/")[-1] for p in save_standin.paths) == ["privacy", "privacy.html"]


def test_save_is_off_by_default(
    live: LiveSiteServer, save_standin: SaveStandIn, tmp_path: Path
) -> None:
    before = len(save_standin.paths)
    sites = tmp_path / "sites.txt"
    sites.write_text(live.url("www.alpha.example") + "\n")
    proc = run_cli(
        "live",
        "--sites",
        str(sites),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "0",
        "--save-endpoint",
        save_standin.endpoint,
        "-s",
        "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(save_standin.paths) == before
    assert "save" not in set(read(tmp_path / "out", "fetches").kind)
