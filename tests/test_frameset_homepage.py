"""A frameset homepage (common until the mid-2000s): its privacy link lives in a frame.

Both spiders look into the homepage's same-site frames when the page itself links no
policy: live through a local HTTP server, wayback through pywb.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_live, run_wayback
from tests.faults.payloads import policy_html
from tests.servers import LiveSiteServer

HOST = "www.framed.example"
FRAMESET = (
    b"<html><head><title>Framed Inc.</title></head><frameset cols='25%,75%'>"
    b"<frame src='menu.html' name='menu'><frame src='main.html' name='main'>"
    b"<noframes>Your browser does not support frames.</noframes></frameset></html>"
)
MENU = (
    b"<html><body><ul><li><a href='main.html' target='main'>Home</a></li>"
    b"<li><a href='products.html' target='main'>Products</a></li>"
    b"<li><a href='legal/privacy_statement.html' target='main'>Privacy Statement</a></li>"
    b"</ul></body></html>"
)
MAIN = b"<html><body><h1>Welcome to Framed Inc.</h1><p>We make frames.</p></body></html>"
PAGES = {
    "index.html": FRAMESET,
    "menu.html": MENU,
    "main.html": MAIN,
    "legal/privacy_statement.html": policy_html("Framed Inc.").encode(),
}


def test_live_spider_finds_the_policy_link_in_a_frame(tmp_path: Path) -> None:
    root = tmp_path / "sites" / HOST
    for name, body in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    with LiveSiteServer(root=tmp_path / "sites") as live:
        sites = tmp_path / "sites.txt"
        sites.write_text(live.url(HOST, "/index.html") + "\n")  # the homepage only
        expected = live.url(HOST, "/legal/privacy_statement.html")
        proc = run_live(sites, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "out", "policies")
    assert list(policies.policy_url) == [expected]
    assert list(policies.discovered_by) == ["live_link"]
    fetches = read(tmp_path / "out", "fetches")
    homepage_rows = fetches[fetches.kind == "homepage"]
    assert {u.rsplit("/", 1)[1] for u in homepage_rows.url} == {
        "index.html",
        "menu.html",
        "main.html",
    }


@pytest.mark.pywb
def test_wayback_spider_finds_the_policy_link_in_an_archived_frame(tmp_path: Path) -> None:
    caps = [
        CaptureSpec(url=f"http://{HOST}/{name}", timestamp="20030301000000", body=body)
        for name, body in PAGES.items()
    ]
    caps.append(CaptureSpec(url=f"http://{HOST}/", timestamp="20030301000000", body=FRAMESET))
    build_warc(caps, tmp_path / "framed.warc.gz")
    sites = tmp_path / "sites.txt"
    sites.write_text("framed.example\n")
    with PywbServer([tmp_path / "framed.warc.gz"], tmp_path / "pywb") as server:
        proc = run_wayback(
            sites, server.start(), tmp_path / "out", "2003", "2003", "--every", "year"
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "out", "policies")
    assert list(policies.policy_url) == [f"http://{HOST}/legal/privacy_statement.html"]
    assert list(policies.discovered_by) == ["homepage_link"]
    assert "Framed Inc." in policies.text.iloc[0]
