"""Pages moved with ``<meta http-equiv="refresh">``, as archives keep them: a 200 stub.

Sites of the early 2000s often moved their policy (or homepage) this way; the live spider
follows such refreshes through Scrapy's middleware, and the wayback spider follows them
through the archive, to the target's capture in the same period.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_wayback
from tests.faults.payloads import policy_html

pytestmark = pytest.mark.pywb


def _stub(target: str) -> bytes:
    return (
        f'<html><head><meta http-equiv="refresh" content="0; URL={target}">'
        f"<title>Moved</title></head><body>This page has moved.</body></html>"
    ).encode()


MOVED = "http://www.moved.example/privacy.html"
DEAD = "http://www.deadstub.example/privacy.html"
HOME = "http://www.stubhome.example/"
CAPTURES = [
    CaptureSpec(url=MOVED, timestamp="20050301000000", body=_stub("/legal/privacy.php")),
    CaptureSpec(
        url="http://www.moved.example/legal/privacy.php",
        timestamp="20050302000000",
        body=policy_html("Moved Corp").encode(),
    ),
    CaptureSpec(url=DEAD, timestamp="20050301000000", body=_stub("/gone.html")),
    CaptureSpec(url=HOME, timestamp="20050301000000", body=_stub("/en/index.html")),
    CaptureSpec(
        url="http://www.stubhome.example/en/index.html",
        timestamp="20050301000000",
        body=b"<html><body><h1>Welcome</h1><a href='/en/privacy.html'>Privacy Policy</a>"
        b"</body></html>",
    ),
    CaptureSpec(
        url="http://www.stubhome.example/en/privacy.html",
        timestamp="20050301000000",
        body=policy_html("Stub Home Corp").encode(),
    ),
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("meta-refresh")
    build_warc(CAPTURES, work / "stubs.warc.gz")
    sites = work / "sites.txt"
    sites.write_text(f"moved.example,{MOVED}\ndeadstub.example,{DEAD}\nstubhome.example\n")
    with PywbServer([work / "stubs.warc.gz"], work / "pywb") as server:
        proc = run_wayback(sites, server.start(), work / "out", "2005", "2005")
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield work / "out"


def test_a_policy_moved_by_meta_refresh_is_followed(crawled: Path) -> None:
    policies = read(crawled, "policies").set_index("site")
    moved = policies.loc["moved.example"]
    assert moved.policy_url == "http://www.moved.example/legal/privacy.php"
    assert list(moved.redirects) == [MOVED]
    assert "Moved Corp" in moved.text


def test_a_homepage_moved_by_meta_refresh_is_followed(crawled: Path) -> None:
    home = read(crawled, "policies").set_index("site").loc["stubhome.example"]
    assert home.policy_url == "http://www.stubhome.example/en/privacy.html"
    assert home.discovered_by == "homepage_link"
    assert "Stub Home Corp" in home.text


def test_a_refresh_to_nothing_archived_has_its_reason(crawled: Path) -> None:
    fetches = read(crawled, "fetches")
    dead = fetches[
        (fetches.site == "deadstub.example")
        & (fetches.kind == "policy")
        & (fetches.snapshot == "2005H1")
    ]
    assert list(dead.outcome) == ["redirect_outside_period"]
    assert "meta refresh to http://www.deadstub.example/gone.html" in dead.detail.iloc[0]
    assert "deadstub.example" not in set(read(crawled, "policies").site)
