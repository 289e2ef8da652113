"""The sites file: good lines, bad lines with their exact messages, whole files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crawler.sites import (
    SiteEntry,
    SitesFileError,
    parse_sites,
    parse_sites_line,
    read_sites_file,
)

SEED_POLICY = "http://www.netregistry.com.au/customer-service/legals/privacy-policy.php"

GOOD_LINES = [
    # (line, site, homepage, policy_url)
    ("example.com", "example.com", "http://www.example.com/", None),
    ("  Example.COM  ", "example.com", "http://www.example.com/", None),
    ("example.com.", "example.com", "http://www.example.com/", None),
    ("www.example.com", "example.com", "http://www.example.com/", None),
    ("netregistry.com.au", "netregistry.com.au", "http://www.netregistry.com.au/", None),
    ("blog.example.co.uk", "blog.example.co.uk", "http://blog.example.co.uk/", None),
    (
        f"interactmedia.com.au,{SEED_POLICY}",
        "interactmedia.com.au",
        "http://www.interactmedia.com.au/",
        SEED_POLICY,
    ),
    (
        f"interactmedia.com.au , {SEED_POLICY}   # served by the host",
        "interactmedia.com.au",
        "http://www.interactmedia.com.au/",
        SEED_POLICY,
    ),
    ("https://www.example.com/", "example.com", "https://www.example.com/", None),
    ("HTTPS://Www.Example.com", "example.com", "https://www.example.com/", None),
    ("http://example.org/en/index.html", "example.org", "http://example.org/en/index.html", None),
    ("http://example.org/#main", "example.org", "http://example.org/", None),
    ("http://example.org/?lang=de", "example.org", "http://example.org/?lang=de", None),
    ("www.foo.org/en/", "foo.org", "http://www.foo.org/en/", None),
    ("http://127.0.0.1:8080/", "127.0.0.1:8080", "http://127.0.0.1:8080/", None),
    ("127.0.0.1:8081", "127.0.0.1:8081", "http://127.0.0.1:8081/", None),
    ("https://example.com:443/", "example.com", "https://example.com:443/", None),
    ("https://example.com:8443/", "example.com:8443", "https://example.com:8443/", None),
    ("bücher.de", "bücher.de", "http://www.xn--bcher-kva.de/", None),
    ("BÜCHER.de", "bücher.de", "http://www.xn--bcher-kva.de/", None),
    ("xn--bcher-kva.de", "bücher.de", "http://www.xn--bcher-kva.de/", None),
    ("https://www.bücher.de/shop/", "bücher.de", "https://www.xn--bcher-kva.de/shop/", None),
    (
        "münchen.de,https://münchen.de/datenschutz",
        "münchen.de",
        "http://www.xn--mnchen-3ya.de/",
        "https://xn--mnchen-3ya.de/datenschutz",
    ),
    ("例え.jp", "例え.jp", "http://www.xn--r8jz45g.jp/", None),
    (
        "example.com,https://legal.example.net/privacy#section-2",
        "example.com",
        "http://www.example.com/",
        "https://legal.example.net/privacy",
    ),
    ("example.com\t# trailing comment", "example.com", "http://www.example.com/", None),
    ("example.com\r\n", "example.com", "http://www.example.com/", None),
]


@pytest.mark.parametrize(("line", "site", "homepage", "policy_url"), GOOD_LINES)
def test_good_line(line: str, site: str, homepage: str, policy_url: str | None) -> None:
    entry = parse_sites_line(line, 7)
    assert entry == SiteEntry(site=site, homepage=homepage, policy_url=policy_url, line_no=7)


@pytest.mark.parametrize("line", ["", "   ", "\t\r\n", "# comment", "   # indented comment", "#"])
def test_blank_and_comment_lines(line: str) -> None:
    assert parse_sites_line(line, 1) is None


BAD_LINES = [
    # (line, why)
    ("ftp://example.com/", "unsupported homepage URL scheme 'ftp' (http or https only)"),
    (
        "mailto:webmaster@example.com",
        "unsupported homepage URL scheme 'mailto' (http or https only)",
    ),
    ("file:///etc/passwd", "unsupported homepage URL scheme 'file' (http or https only)"),
    ("exa mple.com", "space inside domain"),
    ("localhost", "no dot in domain 'localhost'"),
    ("intranet", "no dot in domain 'intranet'"),
    ("a.com,b.com,c.com", "expected 'site' or 'site,policy_url', got 3 comma fields"),
    ("a.com,notaurl", "invalid policy URL 'notaurl' (needs http:// or https://)"),
    ("a.com,ftp://a.com/privacy", "unsupported policy URL scheme 'ftp' (http or https only)"),
    ("a.com,", "missing policy URL after the comma"),
    (",http://a.com/privacy", "missing site before the comma"),
    ("a.com,http://exa mple.com/p", "space inside policy URL"),
    ("a.com,http:///privacy", "policy URL has no host"),
    ("a.com,http://intranet/privacy", "invalid policy URL: no dot in domain 'intranet'"),
    ("http:///nohost", "homepage URL has no host"),
    ("http://example.com:99999/", "invalid homepage URL (Port out of range 0-65535)"),
    ("-bad-.com", "invalid domain '-bad-.com' (Label must not start or end with a hyphen)"),
    ("xn--zz.com", "invalid domain 'xn--zz.com' (Invalid A-label)"),
    ("a..com", "invalid domain 'a..com' (Empty Label)"),
    ("example.123", "invalid domain 'example.123' (numeric top-level label)"),
    (
        "exa_mple.com",
        "invalid domain 'exa_mple.com' (Codepoint U+005F at position 4 of 'exa_mple' not allowed)",
    ),
    ("example.com:http", "invalid port 'http'"),
    ("localhost:8000", "no dot in domain 'localhost'"),
    ("exam!ple.com", "invalid character in domain 'exam!ple.com'"),
]


@pytest.mark.parametrize(("line", "why"), BAD_LINES)
def test_bad_line_message(line: str, why: str) -> None:
    with pytest.raises(SitesFileError) as info:
        parse_sites_line(line, 12)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.line_no == 12
    assert err.line == line.strip()
    assert err.why == why
    assert str(err) == f"sites file <sites> line 12: {why}: '{line.strip()}'"


def test_very_long_bad_line_is_shortened_in_message() -> None:
    line = "ftp://example.com/" + "x" * 500
    with pytest.raises(SitesFileError) as info:
        parse_sites_line(line, 1)
    assert str(info.value).endswith("x...'")
    assert len(str(info.value)) < 400
    assert info.value.line == line


SEED_FILE = (
    "\ufeff# sites to crawl, 2009 study\r\n"
    "\r\n"
    f"interactmedia.com.au,{SEED_POLICY}\r\n"
    "opentracker.net   # analytics\r\n"
    "https://www.example.com/en/\r\n"
    "   \r\n"
    "www.opentracker.net\r\n"
)


def test_parse_whole_file(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="crawler.sites"):
        entries = parse_sites(SEED_FILE, source="sites.txt")
    assert entries == [
        SiteEntry("interactmedia.com.au", "http://www.interactmedia.com.au/", SEED_POLICY, 3),
        SiteEntry("opentracker.net", "http://www.opentracker.net/", None, 4),
        SiteEntry("example.com", "https://www.example.com/en/", None, 5),
    ]
    # the duplicate is a warning naming both lines, not an error
    assert [r.getMessage() for r in caplog.records] == [
        "sites file sites.txt line 7: duplicate site opentracker.net (first on line 4), ignored"
    ]


def test_all_bad_lines_in_one_error() -> None:
    text = "good.com\nftp://bad.com/\nalso-good.org\nlocalhost\na,b,c\n"
    with pytest.raises(SitesFileError) as info:
        parse_sites(text, source="list.txt")
    err = info.value
    assert err.line_no == 2
    assert err.line == "ftp://bad.com/"
    assert [n for n, _, _ in err.errors] == [2, 4, 5]
    assert str(err).splitlines() == [
        "sites file list.txt line 2: unsupported homepage URL scheme 'ftp' (http or https only): "
        "'ftp://bad.com/'",
        "sites file list.txt line 4: no dot in domain 'localhost': 'localhost'",
        "sites file list.txt line 5: expected 'site' or 'site,policy_url', got 3 comma fields: "
        "'a,b,c'",
    ]


def test_empty_and_comment_only_files() -> None:
    assert parse_sites("") == []
    assert parse_sites("# nothing yet\n\n   \n") == []


def test_fragment_hash_is_not_a_comment() -> None:
    (entry,) = parse_sites("example.com,http://example.com/legal#privacy  # note\n")
    assert entry.policy_url == "http://example.com/legal"


def test_read_sites_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"
    path.write_bytes(SEED_FILE.encode("utf-8"))
    entries = read_sites_file(path)
    assert [e.site for e in entries] == ["interactmedia.com.au", "opentracker.net", "example.com"]
    assert read_sites_file(str(path)) == entries


def test_read_sites_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("example.com\nnot a domain\n", encoding="utf-8")
    with pytest.raises(SitesFileError) as info:
        read_sites_file(path)
    assert str(info.value) == f"sites file {path} line 2: space inside domain: 'not a domain'"


def test_read_sites_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("example.com\nbücher.de\n".encode("latin-1"))
    with pytest.raises(SitesFileError) as info:
        read_sites_file(path)
    assert info.value.line_no == 2
    assert str(info.value).startswith(f"sites file {path} line 2: not UTF-8 text: ")


def test_missing_file_is_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sites_file(tmp_path / "nope.txt")
