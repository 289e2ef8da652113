"""PDF policies in an archive: a capture served as ``application/pdf`` becomes a document,
and one without a text layer leaves a ``fetches`` row with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import CaptureSpec, build_warc
from tests.crawl import read, run_wayback
from tests.pdfwriter import Page, build_pdf, policy_pdf

pytestmark = pytest.mark.pywb

POLICY = policy_pdf(
    [
        (
            "Information we collect",
            [
                "We collect your name, email address and IP address when you use our "
                "services, and we use cookies to remember your preferences."
            ],
        ),
        (
            "Sharing and your choices",
            [
                "We share personal information with service providers and never sell it to "
                "third parties. You may opt out, access or delete your data at any time."
            ],
        ),
        (
            "Retention and security",
            [
                "We retain personal data only as long as needed and protect it with "
                "encryption. Children under 13 may not use the service."
            ],
        ),
    ],
    title="Archived Corp Privacy Policy",
)
HOME = "http://www.archpdf.example/"
CAPTURES = [
    CaptureSpec(
        url=HOME,
        timestamp="20100301000000",
        body=b"<html><body><h1>Archived Corp</h1><p>Welcome.</p><div id='footer'>"
        b"<a href='/legal/privacy.pdf'>Privacy Policy</a></div></body></html>",
    ),
    CaptureSpec(
        url="http://www.archpdf.example/legal/privacy.pdf",
        timestamp="20100302000000",
        body=POLICY,
        content_type="application/pdf",
    ),
    CaptureSpec(
        url="http://www.scanned.example/privacy.pdf",
        timestamp="20100302000000",
        body=build_pdf([Page(image_only=True)]),
        content_type="application/pdf",
    ),
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("wayback-pdf")
    build_warc(CAPTURES, work / "pdf.warc.gz")
    sites = work / "sites.txt"
    sites.write_text("archpdf.example\nscanned.example,http://www.scanned.example/privacy.pdf\n")
    with PywbServer([work / "pdf.warc.gz"], work / "pywb") as server:
        proc = run_wayback(sites, server.start(), work / "out", "2010", "2010")
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield work / "out"


def test_an_archived_pdf_policy_becomes_a_document(crawled: Path) -> None:
    policies = read(crawled, "policies")
    row = policies.set_index("site").loc["archpdf.example"]
    assert row.policy_url == "http://www.archpdf.example/legal/privacy.pdf"
    assert row.discovered_by == "homepage_link"
    assert row.content_type == "application/pdf"
    assert row.title == "Archived Corp Privacy Policy"
    assert row.clause_count >= 6 and row.labels == "ok"
    clauses = read(crawled, "clauses")
    assert "Information we collect" in set(clauses[clauses.kind == "heading"].text)


def test_an_archived_scan_leaves_its_reason(crawled: Path) -> None:
    assert "scanned.example" not in set(read(crawled, "policies").site)
    fetches = read(crawled, "fetches")
    scanned = fetches[fetches.site == "scanned.example"]
    assert "pdf_no_text" in set(scanned.outcome), scanned[["url", "outcome", "detail"]]
