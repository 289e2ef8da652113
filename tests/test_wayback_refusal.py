"""Discovery goes on after a refusal, in the archive: the archived homepage links only a
"Legal" page, which processing refuses (an imprint); the privacy link on that archived page,
resolved against its original URL, is looked up in the index for the same period and is the
policy. A site whose chosen capture is a policy costs no request more.

A real pywb replays a WARC built here; the crawl runs through the CLI, as a user would run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from crawler.links import links_to_follow
from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_wayback

pytestmark = pytest.mark.pywb

HUB = Path(__file__).parent / "fixtures" / "live" / "www.hub.example"
HOME = (HUB / "index.html").read_text()  # its only privacy-ish link: "Legal" → /legal.html
LEGAL = (HUB / "legal.html").read_text()  # an imprint linking "/about/data-notice.html"
POLICY = (HUB / "about" / "data-notice.html").read_text()
# a policy that links another privacy-ish page: the spider must not fetch it once the
# policy is accepted (it does wait for the outcome: there is something left to try)
DIRECT_HOME = HOME.replace('href="/legal.html">Legal', 'href="/privacy.html">Privacy Policy')
DIRECT_POLICY = POLICY.replace(
    "<h2>Cookies</h2>",
    '<h2>Cookies</h2><p>Read our <a href="/cookie-policy.html">Cookie Policy</a>.</p>',
)
# a second legal page between the first and the policy: refused too, it leads on
LEGAL_2 = LEGAL.replace('href="/about/data-notice.html"', 'href="/privacy-statement.html"')
YEARS = ("2010", "2011")


def captures(host: str, pages: dict[str, str], year: str) -> list[CaptureSpec]:
    """``pages`` (path → html) archived in ``year``, a day apart, each marked with its year."""
    return [
        CaptureSpec(
            f"http://{host}{path}",
            f"{year}0{i + 3}10120000",
            body=html.replace("</body>", f"<!-- {year} --></body>").encode(),
        )
        for i, (path, html) in enumerate(pages.items())
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, object]]:
    work = tmp_path_factory.mktemp("wbdisc")
    caps: list[CaptureSpec] = []
    for year in YEARS:
        caps += captures(
            "www.hub.example",
            {"/": HOME, "/legal.html": LEGAL, "/about/data-notice.html": POLICY},
            year,
        )
        caps += captures(
            "www.direct.example",
            {"/": DIRECT_HOME, "/privacy.html": DIRECT_POLICY, "/cookie-policy.html": POLICY},
            year,
        )
        # the policy the legal page links was never archived
        caps += captures("www.nocap.example", {"/": HOME, "/legal.html": LEGAL}, year)
        caps += captures(
            "www.chain.example",
            {
                "/": HOME,
                "/legal.html": LEGAL,
                "/about/data-notice.html": LEGAL_2,
                "/privacy-statement.html": POLICY,
            },
            year,
        )
    build_warc(caps, work / "a.warc.gz")
    sites = work / "sites.txt"
    sites.write_text("hub.example\ndirect.example\nnocap.example\nchain.example\n")
    with PywbServer([work / "a.warc.gz"], work / "root") as pywb:
        archive = pywb.start()
        proc = run_wayback(sites, archive, work / "out", *YEARS, "--every", "year")
        yield work / "out", proc


def path_of(fetches: pd.DataFrame, site: str) -> list[tuple[str, str, str, str]]:
    """(snapshot, kind, path, outcome) of a site's fetches rows, in time order; CDX rows
    without their query string."""
    rows = fetches[fetches.site == site].sort_values("fetched_at")
    return [
        (r.snapshot, r.kind, "" if r.kind == "cdx" else r.url.split("/", 3)[-1], r.outcome)
        for r in rows.itertuples()
    ]


def test_refused_legal_page_leads_to_the_policy(run: tuple[Path, object]) -> None:
    out, proc = run
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    policies = read(out, "policies")
    hub = policies[policies.site == "hub.example"].sort_values("snapshot")
    assert list(hub.snapshot) == list(YEARS)
    assert set(hub.policy_url) == {"http://www.hub.example/about/data-notice.html"}
    assert set(hub.discovered_by) == {"refused_page_link"}
    assert set(hub.homepage_url) == {"http://www.hub.example/"}
    assert set(hub.document_type) == {"privacy_policy"}
    for row in hub.itertuples():  # the capture of the period, not the other year's
        assert row.captured_at.year == int(row.snapshot)
        assert f"/web/{row.snapshot}0510120000id_/" in row.archive_url


def test_fetches_tell_the_whole_path(run: tuple[Path, object]) -> None:
    out, _ = run
    fetches = read(out, "fetches")
    path = path_of(fetches, "hub.example")
    for year in YEARS:
        mine = [p[1:] for p in path if p[0] == year]
        assert mine == [
            ("homepage", "", "ok"),
            ("policy", "legal.html", "not_a_policy"),
            ("policy", "about/data-notice.html", "ok"),
        ]
    rows = fetches[fetches.site == "hub.example"]
    legal = rows[rows.url.str.endswith("/legal.html")]
    assert set(legal.document_type) <= {"imprint", "terms"} and len(legal) == 2
    assert legal.detail.str.contains("taken for").all()
    ok = rows[(rows.kind == "policy") & (rows.outcome == "ok")]
    assert set(ok.document_type) == {"privacy_policy"}


def test_a_policy_first_costs_nothing_more(run: tuple[Path, object]) -> None:
    out, _ = run
    # the stored policy has a privacy-ish link the spider could have followed
    assert links_to_follow(DIRECT_POLICY, "http://www.direct.example/privacy.html")
    fetches = read(out, "fetches")
    assert sorted(path_of(fetches, "direct.example")) == [
        ("2010", "homepage", "", "ok"),
        ("2010", "policy", "privacy.html", "ok"),
        ("2011", "homepage", "", "ok"),
        ("2011", "policy", "privacy.html", "ok"),
        ("all", "cdx", "", "ok"),  # one index query for the whole host
    ]
    policies = read(out, "policies")
    direct = policies[policies.site == "direct.example"]
    assert set(direct.discovered_by) == {"homepage_link"} and len(direct) == 2
    # the hub site made exactly one more replay request per period: the followed link
    hub = fetches[fetches.site == "hub.example"]
    assert (hub.kind == "cdx").sum() == 1
    assert len(hub) == len(fetches[fetches.site == "direct.example"]) + len(YEARS)


def test_a_followed_link_without_capture_says_so(run: tuple[Path, object]) -> None:
    out, _ = run
    fetches = read(out, "fetches")
    mine = [p for p in path_of(fetches, "nocap.example") if p[0] == "2010"]
    assert mine == [
        ("2010", "homepage", "", "ok"),
        ("2010", "policy", "legal.html", "not_a_policy"),
        ("2010", "policy_candidate", "about/data-notice.html", "no_capture_in_period"),
    ]
    row = fetches[(fetches.kind == "policy_candidate") & (fetches.snapshot == "2010")].iloc[0]
    assert "http://www.nocap.example/legal.html (refused)" in row.detail
    assert "nocap.example" not in set(read(out, "policies").site)


def test_a_refused_followed_page_leads_on(run: tuple[Path, object]) -> None:
    out, _ = run
    mine = [p for p in path_of(read(out, "fetches"), "chain.example") if p[0] == "2011"]
    assert mine == [
        ("2011", "homepage", "", "ok"),
        ("2011", "policy", "legal.html", "not_a_policy"),
        ("2011", "policy", "about/data-notice.html", "not_a_policy"),
        ("2011", "policy", "privacy-statement.html", "ok"),
    ]
    policies = read(out, "policies")
    chain = policies[policies.site == "chain.example"]
    assert len(chain) == 2 and set(chain.discovered_by) == {"refused_page_link"}
