"""One CDX query per homepage site: the host listing (crawler/archive/listing.py).

Pure checks of what a listing can vouch for, then a crawl of a pywb archive counting the
CDX queries each site cost in the ``fetches`` dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from waybackpy.cdx_snapshot import CDXSnapshot

from crawler.archive.listing import HostListing, capture_key, host_prefix
from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_wayback


def snap(url: str, ts: str = "20100101000000", status: str = "200") -> CDXSnapshot:
    return CDXSnapshot(
        {
            "urlkey": "-",
            "timestamp": ts,
            "original": url,
            "mimetype": "text/html",
            "statuscode": status,
            "digest": "D" + ts,
            "length": "100",
        }
    )


def test_capture_key_ignores_what_the_archive_index_ignores() -> None:
    same = [
        "http://www.Example.com/Privacy/",
        "https://example.com/privacy",
        "example.com:80/privacy#top",
        "http://www2.example.com/privacy",
    ]
    assert {capture_key(u) for u in same} == {"example.com/privacy"}
    assert capture_key("http://example.com/p?b=2&a=1") == capture_key(
        "http://example.com/p?a=1&b=2"
    )
    assert capture_key("http://example.com:8080/") != capture_key("http://example.com/")
    assert capture_key("http://example.com/privacy.html") != capture_key(
        "http://example.com/privacy"
    )
    assert host_prefix("https://www.Example.com/en/home") == "example.com/"
    assert host_prefix("http://127.0.0.1:8080/") == "127.0.0.1:8080/"


def test_a_whole_listing_answers_every_url_on_its_host() -> None:
    rows = [snap("http://www.a.example/"), snap("http://a.example/privacy.html", "20110101000000")]
    listing = HostListing.build("a.example/", rows, truncated=False)
    assert [r.timestamp for r in listing.captures("https://a.example/privacy.html/")] == [
        "20110101000000"
    ]
    assert listing.captures("http://www.a.example/privacy") == []  # listed host, no capture
    assert listing.captures("http://legal.a.example/privacy") is None  # another host: ask
    assert listing.captures("http://other.example/") is None


def test_a_truncated_listing_vouches_only_for_urls_it_holds_whole() -> None:
    rows = [snap("http://a.example/", f"2010010{i + 1}000000") for i in range(3)]
    rows.append(snap("http://a.example/about"))
    listing = HostListing.build("a.example/", rows, truncated=True)
    assert listing.captures("http://a.example/") is not None
    assert len(listing.captures("http://a.example/") or []) == 3
    assert listing.captures("http://a.example/about") is None  # may go on past the page
    assert listing.captures("http://a.example/privacy") is None  # may be past the page


def test_an_archive_that_ignored_the_prefix_vouches_for_the_root_only() -> None:
    # only the root's captures came back: the archive may have answered an exact query
    listing = HostListing.build("a.example/", [snap("http://a.example/")], truncated=False)
    assert listing.captures("http://a.example/") is not None
    assert listing.captures("http://a.example/privacy") is None
    empty = HostListing.build("a.example/", [], truncated=False)
    assert empty.captures("http://www.a.example/") == []
    assert empty.captures("http://a.example/privacy") is None


POLICY = """<html><head><title>Privacy Policy - {name}</title></head><body>
<h1>Privacy Policy</h1><p>Revision {rev}.</p>
<p>{name} collects your name, e-mail address and postal address when you place an order,
and uses cookies to keep your basket. We share your details with the courier and the payment
processor only to deliver your order, and never sell personal information to third parties.</p>
<h2>Your choices</h2><p>You can opt out of our newsletter at any time by following the
unsubscribe link, and ask us to delete your account by writing to privacy@shop.example.</p>
<h2>Security and retention</h2><p>We keep order records for seven years for tax purposes and
protect them with encryption. Children under 13 may not use this site.</p>
</body></html>"""
HOME = """<html><body><h1>{name}</h1><p>Welcome.</p><p><a href="/about.html">About</a></p>
{link}</body></html>"""


@pytest.fixture(scope="module")
def listing_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("listing")
    caps: list[CaptureSpec] = []

    def site(name: str, home: str, link: str, policy: str) -> None:
        for year in range(2006, 2012):
            body = HOME.format(name=name, link=link).encode()
            caps.append(CaptureSpec(home, f"{year}0310120000", body=body))
            caps.append(CaptureSpec(home + "about.html", f"{year}0311120000"))
        for year, rev in ((2006, "A"), (2009, "B")):
            body = POLICY.format(name=name, rev=rev).encode()
            caps.append(CaptureSpec(policy, f"{year}0311120000", body=body))

    # linked from the homepage
    site("Alpha", "http://www.alpha.example/", '<a href="/privacy.html">Privacy</a>',
         "http://www.alpha.example/privacy.html")  # fmt: skip
    # not linked: found on a common path (the old way probed 3 URLs, a CDX query each)
    site("Beta", "http://www.beta.example/", "", "http://beta.example/privacy-policy")
    # linked, on another host: the listing cannot vouch for it, that host is asked
    site("Gamma", "http://www.gamma.example/",
         '<a href="http://legal.gammagroup.example/privacy.html">Privacy</a>',
         "http://legal.gammagroup.example/privacy.html")  # fmt: skip
    build_warc(caps, work / "listing.warc.gz")
    with PywbServer([work / "listing.warc.gz"], work / "root") as server:
        yield server.start()


@pytest.mark.pywb
def test_a_homepage_site_costs_one_index_query(listing_archive: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("alpha.example\nbeta.example\ngamma.example\n")
    out = tmp_path / "o"
    proc = run_wayback(sites, listing_archive, out, "2005", "2011", "--every", "capture")
    assert proc.returncode == 0, proc.stderr[-3000:]

    policies = read(out, "policies").sort_values(["site", "captured_at"])
    found = {s: [t.split("Revision ")[1][0] for t in g.text] for s, g in policies.groupby("site")}
    assert found == {s: ["A", "B"] for s in ("alpha.example", "beta.example", "gamma.example")}
    assert set(policies[policies.site == "beta.example"].discovered_by) == {"common_path"}
    assert set(policies[policies.site != "beta.example"].discovered_by) == {"homepage_link"}

    fetches = read(out, "fetches")
    cdx = fetches[fetches.kind == "cdx"]
    per_site = cdx.groupby("site").size().to_dict()
    assert per_site == {"alpha.example": 1, "beta.example": 1, "gamma.example": 2}, cdx.url
    assert all("matchType=prefix" in u for u in cdx[cdx.site != "gamma.example"].url)
    # the other host's query is an exact one, for the linked policy
    assert cdx[cdx.url.str.contains("gammagroup")].url.str.contains("matchType").sum() == 0
