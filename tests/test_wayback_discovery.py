"""Policy discovery when the archive is sparse: policies captured years apart, on other hosts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_cli

pytestmark = pytest.mark.pywb

POLICY = """<html><head><title>Privacy Policy - Omega Shop</title></head><body>
<h1>Privacy Policy</h1><p>Revision {rev}.</p>
<p>Omega Shop collects your name, e-mail address and postal address when you place an order,
and uses cookies to keep your basket. We share your details with the courier and the payment
processor only to deliver your order, and never sell personal information to third parties.</p>
<h2>Your choices</h2><p>You can opt out of our newsletter at any time by following the
unsubscribe link, and ask us to delete your account by writing to privacy@omega.example.</p>
<h2>Security and retention</h2><p>We keep order records for seven years for tax purposes and
protect them with encryption. Children under 13 may not use this site.</p>
</body></html>"""
HOME = """<html><body><h1>Omega Shop</h1><p>Welcome.</p>
<div id="footer"><a href="http://legal.omegagroup.example/privacy.html">Privacy</a></div>
</body></html>"""


@pytest.fixture(scope="module")
def sparse_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("sparse")
    policy = "http://legal.omegagroup.example/privacy.html"
    caps = [
        # the homepage is captured once, in 2006; the policy (on another host) in 2006 and 2011
        CaptureSpec("http://www.omega.example/", "20060310120000", body=HOME.encode()),
        CaptureSpec(policy, "20060311120000", body=POLICY.format(rev="A").encode()),
        CaptureSpec(policy, "20110905120000", body=POLICY.format(rev="B").encode()),
    ]
    build_warc(caps, work / "sparse.warc.gz")
    with PywbServer([work / "sparse.warc.gz"], work / "root") as server:
        yield server.start()


def test_policy_found_in_periods_without_a_homepage_capture(
    sparse_archive: str, tmp_path: Path
) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("omega.example\n")
    proc = run_cli(
        "wayback",
        "--sites",
        str(sites),
        "--from",
        "2005",
        "--to",
        "2012",
        "--every",
        "year",
        "--archive",
        sparse_archive,
        "--out",
        str(tmp_path / "o"),
        "--workers",
        "0",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "o", "policies").sort_values("snapshot")
    assert list(policies.snapshot) == ["2006", "2011"]
    assert [t.split("Revision ")[1][0] for t in policies.text] == ["A", "B"]
    assert list(policies.discovered_by) == ["homepage_link", "nearby_homepage_link"]
    assert set(policies.site) == {"omega.example"}
    fetches = read(tmp_path / "o", "fetches")
    missing = fetches[(fetches.kind == "policy") & (fetches.outcome != "ok")]
    assert sorted(missing.snapshot) == ["2005", "2007", "2008", "2009", "2010", "2012"]
    assert set(missing.outcome) == {"no_capture_in_period"}
