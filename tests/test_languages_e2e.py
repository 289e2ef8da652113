"""End to end: a live crawl of shops in ten languages and of shops whose policy is a PDF.

Each language's homepage (tests/fixtures/lang) has one privacy link, in its own language, to
a URL that is not one of the common paths: only the link text can find it. The PDF shops are
built here: one links a text PDF (a document), one a scan, one an encrypted file (each a
``fetches`` row with its reason, and no document).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawl import read, run_live
from tests.pdfwriter import Page, build_pdf, encrypt, policy_pdf
from tests.servers import LiveSiteServer

FIXTURES = Path(__file__).parent / "fixtures" / "lang"
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da")
PDF_SECTIONS = [
    (
        "What we collect",
        [
            "We collect your name, email address, postal address and payment details when "
            "you order, and your IP address and device information when you visit the site."
        ],
    ),
    (
        "How we use and share it",
        [
            "We use personal information to deliver orders and, with your consent, to send "
            "offers. We share it with service providers such as couriers and we never sell it "
            "to third parties."
        ],
    ),
    (
        "Your rights",
        [
            "You may access, correct or delete your personal data and opt out of marketing at "
            "any time under the GDPR by writing to privacy@pdf-shop.example."
        ],
    ),
    (
        "Cookies and retention",
        [
            "We use cookies for the basket and analytics. We retain order records for six "
            "years and protect them with encryption."
        ],
    ),
]


def _pdf_home(name: str, href: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>{name}</title></head><body>"
        f"<main><h1>{name}</h1><p>Hand-made goods, shipped worldwide.</p></main>"
        f"<footer><a href='/terms'>Terms</a> | <a href='{href}'>Privacy Policy (PDF)</a>"
        "</footer></body></html>"
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, LiveSiteServer]]:
    work = tmp_path_factory.mktemp("lang-e2e")
    root = work / "sites"
    shutil.copytree(FIXTURES, root)
    policy = policy_pdf(PDF_SECTIONS, title="PDF Shop Privacy Policy")
    pdf_sites = {
        "www.pdf-shop.example": ("docs/privacy-policy-2026.pdf", policy),
        "www.scan-shop.example": ("files/privacy.pdf", build_pdf([Page(image_only=True)] * 3)),
        "www.locked-shop.example": ("files/privacy.pdf", encrypt(policy, "s3cret")),
    }
    for host, (path, body) in pdf_sites.items():
        (root / host / path).parent.mkdir(parents=True)
        (root / host / path).write_bytes(body)
        (root / host / "index.html").write_text(_pdf_home(host.split(".")[1], "/" + path))
    hosts = [f"www.{lang}-shop.example" for lang in LANGUAGES] + list(pdf_sites)
    with LiveSiteServer(root) as live:
        live.start()
        sites = work / "sites.txt"
        sites.write_text("".join(f"{live.url(h)}\n" for h in hosts))
        proc = run_live(sites, work / "out")
        assert proc.returncode == 0, proc.stderr[-3000:]
        yield work / "out", live


def test_each_language_policy_found_through_its_own_link(
    crawled: tuple[Path, LiveSiteServer],
) -> None:
    out, live = crawled
    policies = read(out, "policies")
    by_site = {r.site.split(":")[0].split("-")[0]: r for r in policies.itertuples()}
    assert set(LANGUAGES) <= set(by_site)
    for lang in LANGUAGES:
        row = by_site[lang]
        assert row.discovered_by == "live_link", lang
        assert row.language == lang and row.declared_language == lang
        assert row.content_type == "text/html"
        assert row.labels == ("ok" if lang == "en" else "english_only")
        assert row.clause_count == 18
    # no common path was needed: each site answered its homepage and its policy only
    for lang in LANGUAGES:
        paths = {r.path for r in live.requests_for(f"www.{lang}-shop.example")}
        assert len(paths - {"/robots.txt"}) == 2, paths
    clauses = read(out, "clauses")
    de = clauses[clauses.site.str.startswith("de-")]
    assert de.category_probs.isna().all() and all(len(c) == 0 for c in de.categories)
    en = clauses[clauses.site.str.startswith("en-")]
    assert en.category_probs.notna().all()


def test_a_pdf_policy_linked_from_a_homepage_becomes_a_document(
    crawled: tuple[Path, LiveSiteServer],
) -> None:
    out, _ = crawled
    policies = read(out, "policies")
    pdf = policies[policies.site.str.startswith("pdf-shop")]
    assert len(pdf) == 1
    row = pdf.iloc[0]
    assert row.policy_url.endswith("/docs/privacy-policy-2026.pdf")
    assert row.content_type == "application/pdf"
    assert row.title == "PDF Shop Privacy Policy"
    assert row.language == "en" and row.labels == "ok"
    assert "privacy@pdf-shop.example" in list(row.contact_emails)
    clauses = read(out, "clauses")
    mine = clauses[clauses.policy_id == row.policy_id]
    assert len(mine) == row.clause_count >= 8
    assert "What we collect" in set(mine[mine.kind == "heading"].text)


def test_unreadable_pdfs_leave_a_reason_not_a_document(
    crawled: tuple[Path, LiveSiteServer],
) -> None:
    out, _ = crawled
    policies = read(out, "policies")
    assert not policies.site.str.startswith(("scan-shop", "locked-shop")).any()
    fetches = read(out, "fetches")
    outcomes = {
        r.site.split(":")[0]: r.outcome
        for r in fetches.itertuples()
        if r.site.startswith(("scan-shop", "locked-shop")) and r.url.endswith(".pdf")
    }
    assert outcomes == {"scan-shop.example": "pdf_no_text", "locked-shop.example": "pdf_encrypted"}
