"""Identical re-captures stored as WARC revisit records, as the Internet Archive stores many.

Its CDX lists them as ``warc/revisit`` with status ``-`` (see the recorded dw.com search in
``../shared/data/wayback_api``), so a ``statuscode:200`` query does not return them. A
period whose only capture of the policy is a revisit still has the policy, unchanged: it
must get its snapshot (from the body already fetched when the digest is known), not a
``no_capture_in_period`` row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_wayback

pytestmark = pytest.mark.pywb

POLICY = "http://www.revisits.example/privacy.html"
HOME = "http://www.homerevisits.example/"
HOME_POLICY = "http://www.homerevisits.example/legal/privacy.html"


def _policy(version: str) -> bytes:
    para = (
        f"<p>Policy version {version}. We collect your name, email address and payment "
        "details when you create an account, and we share them with payment processors "
        "and analytics providers only to run the service. You may opt out of marketing "
        "email at any time, and you can ask us to delete your account data.</p>"
    )
    return (
        f"<html><head><title>Privacy Policy</title></head><body><h1>Privacy Policy</h1>"
        f"{para * 4}<h2>Cookies</h2>{para}<h2>Contact</h2>{para}</body></html>"
    ).encode()


HOME_BODY = (
    b"<html><head><title>Home</title></head><body><h1>Welcome</h1>"
    b"<a href='/legal/privacy.html'>Privacy Policy</a></body></html>"
)
CAPTURES = [
    # explicit policy URL: A, two identical re-captures as revisits, then B
    CaptureSpec(url=POLICY, timestamp="20050215120000", body=_policy("A")),
    CaptureSpec(url=POLICY, timestamp="20050815120000", body=_policy("A"), revisit=True),
    CaptureSpec(url=POLICY, timestamp="20060215120000", body=_policy("A"), revisit=True),
    CaptureSpec(url=POLICY, timestamp="20060815120000", body=_policy("B")),
    CaptureSpec(url=POLICY, timestamp="20070215120000", body=_policy("A"), revisit=True),
    # found through the homepage; the second half-year holds only revisits of both
    CaptureSpec(url=HOME, timestamp="20050301000000", body=HOME_BODY),
    CaptureSpec(url=HOME, timestamp="20050901000000", body=HOME_BODY, revisit=True),
    CaptureSpec(url=HOME_POLICY, timestamp="20050301000000", body=_policy("H")),
    CaptureSpec(url=HOME_POLICY, timestamp="20050901000000", body=_policy("H"), revisit=True),
]


@pytest.fixture(scope="module")
def pywb_revisits(tmp_path_factory: pytest.TempPathFactory) -> object:
    work = tmp_path_factory.mktemp("revisits")
    build_warc(CAPTURES, work / "revisits.warc.gz")
    sites = work / "sites.txt"
    sites.write_text(f"revisits.example,{POLICY}\nhomerevisits.example\n")
    with PywbServer([work / "revisits.warc.gz"], work / "pywb") as server:
        yield server.start(), sites


def _crawl(archive: str, sites: Path, out: Path, start: str, end: str):  # noqa: ANN202
    proc = run_wayback(sites, archive, out, start, end)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _stat(stderr: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", stderr)
    return int(m.group(1)) if m else 0


def test_periods_holding_only_revisits_keep_the_unchanged_policy(
    pywb_revisits: tuple[str, Path], tmp_path: Path
) -> None:
    archive, sites = pywb_revisits
    proc = _crawl(archive, sites, tmp_path / "out", "2005", "2006")
    policies = read(tmp_path / "out", "policies")
    got = {
        (r.site, r.snapshot): (r.captured_at.strftime("%Y%m%d"), r.text)
        for r in policies.itertuples()
    }
    explicit = {s: v for (site, s), v in got.items() if site == "revisits.example"}
    assert sorted(explicit) == ["2005H1", "2005H2", "2006H1", "2006H2"]
    # each snapshot is the capture of its own period, revisits included, with its text
    assert {s: d for s, (d, _) in explicit.items()} == {
        "2005H1": "20050215",
        "2005H2": "20050815",
        "2006H1": "20060215",
        "2006H2": "20060815",
    }
    assert all("Policy version A" in explicit[s][1] for s in ("2005H1", "2005H2", "2006H1"))
    assert "Policy version B" in explicit["2006H2"][1]
    through_home = {s: v for (site, s), v in got.items() if site == "homerevisits.example"}
    assert sorted(through_home) == ["2005H1", "2005H2"]
    assert all("Policy version H" in t for _, t in through_home.values())
    # the homepage's own revisit is read (not a neighbouring period's links)
    home_rows = policies[policies.site == "homerevisits.example"]
    assert set(home_rows.discovered_by) == {"homepage_link"}
    fetches = read(tmp_path / "out", "fetches")
    policy_rows = fetches[(fetches.kind == "policy") & fetches.snapshot.str.startswith("2005")]
    assert set(policy_rows.outcome) == {"ok"}, policy_rows[["site", "snapshot", "outcome"]]
    # a revisit's body is the one already fetched for its digest: no second replay
    assert _stat(proc.stderr, "policyarchive/politeness/requests/replay") == 4  # A, B, home, H
    assert _stat(proc.stderr, "policyarchive/replay_reused") == 3


def test_revisit_of_a_capture_before_the_window_is_replayed(
    pywb_revisits: tuple[str, Path], tmp_path: Path
) -> None:
    """2006 only: the first 2006 capture refers to a 2005 payload the index query never saw."""
    archive, sites = pywb_revisits
    _crawl(archive, sites, tmp_path / "out", "2006", "2006")
    policies = read(tmp_path / "out", "policies")
    explicit = policies[policies.site == "revisits.example"].set_index("snapshot")
    assert list(explicit.index.sort_values()) == ["2006H1", "2006H2"]
    assert "Policy version A" in explicit.loc["2006H1", "text"]
    assert explicit.loc["2006H1", "captured_at"].strftime("%Y%m%d") == "20060215"


def test_every_capture_counts_revisits_as_captures(
    pywb_revisits: tuple[str, Path], tmp_path: Path
) -> None:
    """--every capture: a window whose first capture is a revisit starts with that version,
    and a revisit after a different version is the policy reverting (a new version, whose
    body was fetched already)."""
    archive, sites = pywb_revisits
    proc = run_wayback(sites, archive, tmp_path / "out", "2006", "2007", "--every", "capture")
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "out", "policies")
    explicit = policies[policies.site == "revisits.example"].sort_values("captured_at")
    assert [t.strftime("%Y%m%d") for t in explicit.captured_at] == [
        "20060215",
        "20060815",
        "20070215",
    ]
    versions = [re.search(r"Policy version (\w)", t)[1] for t in explicit.text]  # type: ignore[index]
    assert versions == ["A", "B", "A"]
    replays = _stat(proc.stderr, "policyarchive/politeness/requests/replay")
    assert replays == 2  # A and B; the revert to A is not fetched again
