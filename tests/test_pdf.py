"""PDF policies: text and headings from the PDF, the same per-document path, bounded, and a
reason (never a crash or an empty document) for scans, encrypted and broken files."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.items import PolicyPage
from pipelines.process import NotAPolicy, process_page, run_page
from pipelines.text.pdf import PdfError, extract_pdf, is_pdf
from pipelines.text.segment import segment_markdown
from tests.pdfwriter import Block, Page, build_pdf, encrypt, policy_pdf

SECTIONS = [
    (
        "1. Information we collect",
        [
            "We collect the personal information you give us when you create an account, "
            "such as your name, email address and postal address. We also collect your IP "
            "address, browser type and device identifiers when you use the service.",
            "We use cookies and similar tracking technologies to remember your settings.",
        ],
    ),
    (
        "2. How we use and share information",
        [
            "We use personal information to provide and improve the service, to process "
            "payments and to send you messages you asked for. We share it with service "
            "providers who process it on our behalf, and we do not sell it to third parties.",
        ],
    ),
    (
        "3. Your choices and rights",
        [
            "You may access, correct or delete your personal data, and you may opt out of "
            "marketing emails at any time. Residents of the European Union have rights under "
            "the GDPR. Contact our privacy team at privacy@pdfcorp.example.",
        ],
    ),
    (
        "4. Data retention and security",
        [
            "We retain personal information for as long as your account is active, and we "
            "protect it with encryption and access controls. Children under 13 may not use "
            "the service.",
        ],
    ),
]


def _page(body: bytes, url: str = "http://www.pdfcorp.example/privacy.pdf") -> PolicyPage:
    return PolicyPage(
        site="pdfcorp.example",
        source="live",
        policy_url=url,
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        snapshot="2026",
        body=body,
        content_type="application/pdf",
    )


@pytest.fixture(scope="module")
def policy() -> bytes:
    return policy_pdf(SECTIONS, title="PDF Corp Privacy Policy")


def test_sniffs_pdf_bytes_whatever_the_label() -> None:
    assert is_pdf(b"%PDF-1.7\n...", "application/octet-stream")
    assert is_pdf(b"\r\n junk before the magic %PDF-1.4", None)
    assert not is_pdf(b"<!doctype html><p>%PDF-1.4 mentioned in a page", "text/html")


def test_headings_from_font_sizes_and_outline(policy: bytes) -> None:
    got = extract_pdf(policy)
    assert got.title == "PDF Corp Privacy Policy"
    assert got.language == "en"
    assert got.page_count == 2 and got.pages == 2 and not got.truncated
    headings = [ln for ln in got.text.splitlines() if ln.startswith("#")]
    assert headings == [
        "# PDF Corp Privacy Policy",
        "## 1. Information we collect",
        "## 2. How we use and share information",
        "## 3. Your choices and rights",
        "## 4. Data retention and security",
    ]
    clauses = segment_markdown(got.text)
    paths = {c.heading_path[-1] for c in clauses if c.kind != "heading" and c.heading_path}
    assert "Information we collect" in paths and "Data retention and security" in paths
    # a paragraph wrapped over several lines of the PDF is one paragraph again
    assert any(
        c.text.startswith("We collect the personal") and "device identifiers" in c.text
        for c in clauses
    )


def test_bold_headings_and_bullets_without_size_change() -> None:
    # a PDF whose headings are the body size: only the outline marks them
    pages = [
        Page(
            [
                Block("Privacy Notice", 11.0, bookmark=1),
                Block("We collect your name and email address when you register. " * 3),
                Block("Sharing", 11.0, bookmark=1),
                Block("We share data with service providers only. " * 3),
            ]
        )
    ]
    got = extract_pdf(build_pdf(pages))
    assert [ln for ln in got.text.splitlines() if ln.startswith("#")] == [
        "# Privacy Notice",
        "# Sharing",
    ]


def test_process_page_makes_a_document_of_a_pdf(policy: bytes) -> None:
    out = process_page(_page(policy))
    p = out.policy
    assert p["content_type"] == "application/pdf"
    assert p["language"] == "en" and p["labels"] == "ok"
    assert p["title"] == "PDF Corp Privacy Policy"
    assert p["clause_count"] == len(out.clauses) > 4
    assert "privacy@pdfcorp.example" in p["contact_emails"]
    assert "GDPR" in p["laws"]
    assert p["categories"]  # English: the clause model labels it
    assert all(c["category_probs"] is not None for c in out.clauses)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda pdf: build_pdf([Page(image_only=True), Page(image_only=True)]), "pdf_no_text"),
        (lambda pdf: encrypt(pdf, "s3cret"), "pdf_encrypted"),
        (lambda pdf: pdf[: len(pdf) // 3], "pdf_broken"),
        (lambda pdf: b"%PDF-1.4\n" + b"\x00garbage" * 500, "pdf_broken"),
    ],
    ids=["scanned", "encrypted", "truncated", "garbage"],
)
def test_unreadable_pdfs_are_refused_with_a_reason(policy: bytes, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    body = make(policy)
    with pytest.raises(PdfError) as exc:
        extract_pdf(body)
    assert exc.value.reason == reason
    # in a worker: the same reason comes back as data, for the fetches row
    result = run_page("pipelines.process.process_page", _page(body), 0.5)
    assert isinstance(result, tuple) and result[0] == reason, result


def test_a_pdf_encrypted_without_user_password_is_read(policy: bytes) -> None:
    # owner-password-only files open in every reader: they are documents
    got = extract_pdf(encrypt(policy, ""))
    assert "Information we collect" in got.text


def test_a_500_page_pdf_is_cut_at_the_page_cap() -> None:
    para = Block("We collect personal data and share it with service providers. " * 6)
    body = build_pdf([Page([Block(f"Section {i}", 14.0), para]) for i in range(500)])
    start = time.monotonic()
    got = extract_pdf(body, max_pages=40)
    elapsed = time.monotonic() - start
    assert got.page_count == 500 and got.pages == 40 and got.truncated
    assert "Section 39" in got.text and "Section 40" not in got.text
    assert elapsed < 30  # generous: the point is that it ends, not how fast


def test_time_cap_stops_reading_pages() -> None:
    para = Block("We collect personal data and share it with service providers. " * 6)
    body = build_pdf([Page([para]) for _ in range(30)])
    got = extract_pdf(body, max_seconds=0.0)
    assert got.truncated and got.pages == 1


def test_a_pdf_bomb_is_refused_in_bounded_memory() -> None:
    # 250 kB on the wire, 80 MB inflated: pypdf stops at its limit (75 MB), the page is dropped
    body = build_pdf([Page(inflate_to=80_000_000)])
    assert len(body) < 500_000
    with pytest.raises(PdfError) as exc:
        extract_pdf(body)
    assert exc.value.reason == "pdf_too_large"
    # beside readable pages, a bomb page costs only itself
    policy = Page([Block("We collect personal data and share it with providers. " * 5)])
    got = extract_pdf(build_pdf([policy, Page(inflate_to=80_000_000)]))
    assert "We collect personal data" in got.text


def test_an_oversized_pdf_is_refused() -> None:
    with pytest.raises(PdfError) as exc:
        extract_pdf(b"%PDF-1.4\n" + b" " * (16 * 1024 * 1024 + 1))
    assert exc.value.reason == "pdf_too_large"


def test_html_is_still_html() -> None:
    html = (
        b"<html lang='en'><body><h1>Privacy Policy</h1>"
        + b"<p>We collect personal information such as your email address and share it "
        b"with third parties and service providers for advertising purposes. You can opt "
        b"out and delete your data. We use cookies. We retain data for a year.</p>"
        * 8
        + b"</body></html>"
    )
    page = _page(html, "http://www.pdfcorp.example/privacy.html")
    page.content_type = "text/html"
    try:
        out = process_page(page)
    except NotAPolicy as exc:  # pragma: no cover - a failure message, not a branch
        pytest.fail(str(exc))
    assert out.policy["content_type"] == "text/html"
    assert out.policy["declared_language"] == "en"


@pytest.mark.corpus
def test_opp115_pdf_policy(shared_data: Path) -> None:
    """OPP-115's one PDF (Kaleida Health's notice of privacy practices) becomes a document."""
    pdfs = [
        p
        for p in sorted((shared_data / "opp115" / "original_html").glob("*"))
        if p.read_bytes()[:5] == b"%PDF-"
    ]
    if not pdfs:
        pytest.skip("OPP-115's PDF page not in the shared data")
    body = pdfs[0].read_bytes()
    out = process_page(_page(body, "http://www.kaleidahealth.org/hipaa/notice.pdf"))
    p = out.policy
    assert p["content_type"] == "application/pdf"
    assert p["language"] == "en" and p["labels"] == "ok"
    assert p["word_count"] > 4000
    headings = [c["text"] for c in out.clauses if c["kind"] == "heading"]
    assert "NOTICE OF PRIVACY PRACTICES" in headings
    assert "YOUR RIGHTS TO ACCESS AND CONTROL YOUR HEALTH INFORMATION" in headings
    assert len(out.clauses) > 50
    # no page numbers or broken bullets left as clauses of their own
    assert not [c for c in out.clauses if c["text"].strip().isdigit()]
