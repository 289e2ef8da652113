"""Unit tests of pipelines.text.extract on small pages written here."""

from __future__ import annotations

import pytest

from pipelines.text.extract import ExtractionError, ExtractOptions, decode_html, extract

ARCHIVE_URL = "https://web.archive.org/web/20091218024508id_/http://www.x.com/legal/p.php"

PARA = (
    "We collect your name, email address and postal address when you register for an "
    "account, and we use them to provide the service you asked for."
)


def page(body: str, *, head: str = "<title>Privacy Policy | Example</title>") -> str:
    return f"<!DOCTYPE html><html lang='en-US'><head>{head}</head><body>{body}</body></html>"


def policy_body(extra: str = "") -> str:
    return (
        "<div id='menu'><a href='/'>Home</a> <a href='/shop'>Shop</a></div>"
        "<main><h1>Privacy Policy</h1>"
        f"<p>{PARA}</p>"
        "<h2>Sharing</h2><p>We do not sell your personal information to third parties. We share "
        "it with service providers who process payments on our behalf and under contract.</p>"
        f"{extra}"
        "<h2>Your rights</h2><ul><li>You may ask for a copy of your data at any time.</li>"
        "<li>You may ask us to delete your account and the data linked to it.</li></ul>"
        "</main><div id='footer'>Copyright 2009 Example Inc.</div>"
    )


def test_markdown_keeps_headings_lists_and_formatting() -> None:
    html = page(policy_body("<p>We <b>never</b> read your private messages or your mail.</p>"))
    out = extract(html.encode(), url="https://www.x.com/privacy")
    assert "## Sharing" in out.text
    assert "- You may ask for a copy of your data at any time." in out.text
    assert "**never**" in out.text
    assert "Copyright 2009" not in out.text  # footer boilerplate dropped
    assert out.language == "en"


def test_title_found_and_not_prepended() -> None:
    out = extract(page(policy_body(), head="<title>Legals || Example</title>").encode())
    assert out.title is not None
    assert "Privacy Policy" in out.title or "Legals" in out.title
    # the text starts with the page's own first heading, not an added title line
    assert not out.text.startswith(f"# {out.title}\n\n# ")


def test_cookie_section_kept() -> None:
    cookies = (
        "<div class='cookie-policy' id='cookies'><h2>Cookies</h2><p>We use cookies to remember "
        "your preferences between visits and to count how many people read each page of the "
        "site. You can refuse cookies in your browser settings.</p></div>"
    )
    out = extract(page(policy_body(cookies)).encode())
    assert "We use cookies to remember your preferences" in out.text
    assert "## Cookies" in out.text


def test_cookie_section_lost_without_rescue() -> None:
    """Documents the trafilatura trap the rescue pass exists for."""
    cookies = (
        "<div class='cookie-policy'><h2>Cookies</h2><p>We use cookies to remember your "
        "preferences between visits and to count how many people read each page.</p></div>"
    )
    opts = ExtractOptions(rescue_pruned=False, fallback=False)
    out = extract(page(policy_body(cookies)).encode(), options=opts)
    assert "We use cookies to remember" not in out.text


def test_table_layout_page_kept_whole() -> None:
    left = "".join(f"<a href='/p{i}.html'>Section {i}</a><br>" for i in range(12))
    paras = "".join(
        f"<p><b>Clause {i}.</b> {PARA} This clause number {i} covers retention of records.</p>"
        for i in range(8)
    )
    body = (
        "<table width='100%'><tr><td colspan=2><img src='logo.gif'> Example Corp</td></tr>"
        f"<tr><td width='150' valign='top'>{left}</td>"
        f"<td valign='top'><font face='Arial'><h3>Privacy Statement</h3>{paras}</font></td></tr>"
        "<tr><td colspan=2>Terms | Contact</td></tr></table>"
    )
    out = extract(page(body).encode(), url="http://www.example.com/privacy.html")
    for i in range(8):
        assert f"Clause {i}." in out.text


def test_relative_links_resolved_inside_archive() -> None:
    links = (
        "<p>Read about <a href='domains.php'>domain names</a>, <a href='/help/index.php'>help</a>"
        " and <a href='http://www.adma.com.au/'>ADMA</a> before you register with us.</p>"
    )
    out = extract(page(policy_body(links)).encode(), url=ARCHIVE_URL)
    capture = "https://web.archive.org/web/20091218024508id_/http%3A//www.x.com/"
    assert f"[domain names]({capture}legal/domains.php)" in out.text
    assert f"[help]({capture}help/index.php)" in out.text
    assert "[ADMA](http://www.adma.com.au/)" in out.text


def test_base_href_respected() -> None:
    head = "<title>P</title><base href='http://www.other.org/docs/'>"
    links = "<p>See <a href='terms.html'>our terms</a> for the rules on using this site.</p>"
    out = extract(page(policy_body(links), head=head).encode(), url="http://www.x.com/a/b.html")
    assert "[our terms](http://www.other.org/docs/terms.html)" in out.text


def test_latin1_page_declared_utf8() -> None:
    html = page(
        policy_body(
            "<p>Données personnelles: vous pouvez exercer vos droits à tout "
            "moment auprès de notre délégué.</p>"
        ),
        head="<meta charset='utf-8'><title>Politique</title>",
    )
    body = html.encode("latin-1")
    assert "Données personnelles" in decode_html(body, "text/html; charset=utf-8")
    out = extract(body, content_type="text/html; charset=utf-8")
    assert "Données personnelles" in out.text
    assert "\ufffd" not in out.text


def test_utf8_page_declared_latin1() -> None:
    html = page(
        policy_body(
            "<p>Données personnelles: vous pouvez exercer vos droits à tout "
            "moment auprès de notre délégué.</p>"
        ),
        head="<meta charset='iso-8859-1'><title>Politique</title>",
    )
    body = html.encode("utf-8")
    out = extract(body, content_type="text/html; charset=ISO-8859-1")
    assert "Données personnelles" in out.text
    assert "DonnÃ©es" not in out.text


def test_windows_1252_page_decoded() -> None:
    html = page(
        policy_body("<p>We don\u2019t sell data \u2013 ever \u20ac.</p>"),
        head="<meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>",
    )
    assert "don\u2019t sell data \u2013 ever \u20ac" in decode_html(html.encode("cp1252"), None)


def test_invalid_utf8_bytes_replaced_not_fatal() -> None:
    html = page(policy_body("<p>Caf\u00e9 cr\u00e8me for everyone who reads this policy.</p>"))
    body = html.encode("utf-8").replace(b"everyone", b"every\xff\xfeone")
    text = decode_html(body, "text/html; charset=utf-8")
    assert "Caf\u00e9 cr\u00e8me" in text  # the valid UTF-8 around the bad bytes survives
    assert "every\ufffd\ufffdone" in text
    assert "Caf\u00e9 cr\u00e8me" in extract(body).text


def test_unknown_charset_falls_back() -> None:
    body = page(policy_body()).encode()
    assert "Privacy Policy" in decode_html(body, "text/html; charset=x-no-such-charset")


def test_pdf_is_not_html() -> None:
    body = b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    with pytest.raises(ExtractionError) as err:
        extract(body, content_type="application/pdf")
    assert err.value.reason == "not_html"
    with pytest.raises(ExtractionError) as err:
        extract(body, content_type=None)  # sniffed from the bytes
    assert err.value.reason == "not_html"


def test_image_is_not_html() -> None:
    with pytest.raises(ExtractionError) as err:
        extract(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", content_type="image/png")
    assert err.value.reason == "not_html"


def test_html_mislabelled_as_octet_stream_is_extracted() -> None:
    out = extract(page(policy_body()).encode(), content_type="application/octet-stream")
    assert "We do not sell your personal information" in out.text


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"<html><body></body></html>"])
def test_empty(body: bytes) -> None:
    with pytest.raises(ExtractionError) as err:
        extract(body, content_type="text/html")
    assert err.value.reason == "empty"


def test_too_short() -> None:
    with pytest.raises(ExtractionError) as err:
        extract(page("<p>Loading, please wait.</p>").encode())
    assert err.value.reason in ("too_short", "empty")


def test_language_none_when_undeclared() -> None:
    html = f"<html><head><title>P</title></head><body>{policy_body()}</body></html>"
    assert extract(html.encode()).language is None


def test_content_language_meta() -> None:
    head = "<meta http-equiv='Content-Language' content='de-DE'><title>Datenschutz</title>"
    html = f"<html><head>{head}</head><body>{policy_body()}</body></html>"
    assert extract(html.encode()).language == "de"
