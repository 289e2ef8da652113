"""Table-driven tests of the pure archive modules: Common Crawl and Memento parsing, specs."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from io import BytesIO

import pytest
from warcio.warcwriter import WARCWriter

from crawler.archive.commoncrawl import (
    RANGE_IGNORED,
    RANGE_MISMATCH,
    check_range,
    crawl_dates,
    no_captures_message,
    parse_cc_cdx,
    parse_collinfo,
    read_record,
    select_crawls,
)
from crawler.archive.memento import (
    pages_to_follow,
    parse_link_format,
    parse_timemap,
    raw_memento_url,
    split_memento,
)
from crawler.archive.sources import ArchiveSpecError, parse_archive_spec


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- Common Crawl ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("crawl", "start", "end"),
    [
        ("CC-MAIN-2019-22", d(2019, 5, 13), d(2019, 6, 2, 23, 59, 59)),
        ("CC-MAIN-2013-20", d(2013, 4, 29), d(2013, 5, 19, 23, 59, 59)),
        ("CC-MAIN-2020-53", d(2020, 12, 14), d(2021, 1, 3, 23, 59, 59)),
        ("CC-MAIN-2008-2009", d(2008, 1, 1), d(2009, 12, 31, 23, 59, 59)),
        ("CC-MAIN-2012", d(2012, 1, 1), d(2012, 12, 31, 23, 59, 59)),
    ],
)
def test_crawl_dates(crawl: str, start: datetime, end: datetime) -> None:
    got = crawl_dates(crawl)
    assert got is not None
    assert (got[0], got[1].replace(microsecond=0)) == (start, end)


@pytest.mark.parametrize("crawl", ["CC-MAIN-2019-54", "CC-MAIN-2019-00", "CC-NEWS-2019", "x"])
def test_crawl_dates_unknown_shapes(crawl: str) -> None:
    assert crawl_dates(crawl) is None


def test_collinfo_with_and_without_from_to() -> None:
    body = json.dumps(
        [
            {
                "id": "CC-MAIN-2024-10",
                "cdx-api": "https://m.example/CC-MAIN-2024-10-index",
                "from": "2024-02-20T00:00:00",
                "to": "2024-03-05T00:00:00Z",
            },
            {"id": "CC-MAIN-2019-22", "name": "May 2019"},  # old copy: dates from the id
            {"id": "CC-NEWS"},  # no dates at all: skipped
            "junk",
        ]
    )
    crawls = parse_collinfo(body, "https://idx.example/")
    assert [c.id for c in crawls] == ["CC-MAIN-2024-10", "CC-MAIN-2019-22"]
    assert crawls[0].start == d(2024, 2, 20) and crawls[0].end == d(2024, 3, 5)
    assert crawls[1].cdx_api == "https://idx.example/CC-MAIN-2019-22-index"
    chosen, missing = select_crawls(crawls, d(2019, 1, 1), d(2019, 12, 31))
    assert [c.id for c in chosen] == ["CC-MAIN-2019-22"] and missing == []
    chosen, missing = select_crawls(crawls, d(2000, 1, 1), d(2000, 2, 1), ("CC-MAIN-2024-10", "X"))
    assert [c.id for c in chosen] == ["CC-MAIN-2024-10"] and missing == ["X"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, b'{"message": "No Captures found for: http://a.example/"}', "No Captures found"),
        (400, b'{"message": "page past the end"}', "page past the end"),
        (400, b"Bad Request", "page past the end"),
        (404, b"<html>not found</html>", None),  # no JSON message: the endpoint is wrong
        (503, b'{"message": "busy"}', None),
    ],
)
def test_no_captures_answers(status: int, body: bytes, expected: str | None) -> None:
    got = no_captures_message(status, body)
    assert (got is None) if expected is None else (got is not None and expected in got)


def test_cc_cdx_lines_all_strings() -> None:
    lines = [
        {
            "urlkey": "example,a)/privacy",
            "timestamp": "20190520101010",
            "url": "https://a.example/privacy",
            "mime": "text/html",
            "mime-detected": "text/html",
            "status": "200",
            "digest": "ABC",
            "length": "1234",
            "offset": "5678",
            "filename": "crawl-data/CC-MAIN-2019-22/x.warc.gz",
            "languages": "eng",
        },
        {
            "timestamp": "20190520101011",
            "url": "https://a.example/p",
            "mime": "warc/revisit",
            "status": "-",
            "length": "10",
            "offset": "1",
            "filename": "f",
        },  # fmt: skip
        {"timestamp": "20190520", "url": "https://a.example/x", "length": "nan", "offset": "1"},
    ]
    body = "\n".join(json.dumps(x) for x in lines).encode() + b"\nnot json\n"
    caps, bad = parse_cc_cdx(body, "CC-MAIN-2019-22")
    assert len(caps) == 1 and bad == 2  # the revisit is left out, not counted as malformed
    cap = caps[0]
    assert (cap.offset, cap.length, cap.crawl) == (5678, 1234, "CC-MAIN-2019-22")
    assert cap.snapshot.statuscode == "200" and cap.snapshot.original == "https://a.example/privacy"


@pytest.mark.parametrize(
    ("status", "content_range", "body", "expected"),
    [
        (206, "bytes 100-109/5000", b"x" * 10, None),
        (200, None, b"x" * 5000, RANGE_IGNORED),
        (403, None, b"<html>Forbidden</html>", "http_403"),
        (206, "bytes 0-9/5000", b"x" * 10, RANGE_MISMATCH),
        (206, "bytes 100-109/5000", b"x" * 9, RANGE_MISMATCH),
        (206, None, b"x" * 10, RANGE_MISMATCH),
    ],
)
def test_range_answers(status: int, content_range: str | None, body: bytes, expected: str) -> None:
    assert check_range(status, content_range, body, 100, 10) == expected


def warc_member(status: str = "200 OK", body: bytes = b"<html>policy</html>") -> bytes:
    from warcio.statusandheaders import StatusAndHeaders

    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    headers = StatusAndHeaders(
        status, [("Content-Type", "text/html"), ("Location", "/new")], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(
            "http://a.example/privacy", "response", payload=BytesIO(body), http_headers=headers
        )
    )
    return buf.getvalue()


def arc_member() -> bytes:
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>old policy</html>"
    head = b"http://a.example/privacy 10.0.0.1 20080101120000 text/html %d\n" % len(http)
    return gzip.compress(head + http + b"\n")


def test_read_warc_and_arc_records() -> None:
    rec = read_record(warc_member())
    assert (rec.status, rec.body, rec.content_type) == (200, b"<html>policy</html>", "text/html")
    moved = read_record(warc_member("301 Moved"))
    assert moved.status == 301 and moved.location == "/new"
    old = read_record(arc_member())
    assert (old.status, old.body) == (200, b"<html>old policy</html>")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<html>Forbidden</html>", "not a gzip member"),
        (warc_member()[:-20], "truncated"),
        (warc_member() + warc_member(), "more than one gzip member"),
        (gzip.compress(b"hello world\n"), "not a WARC or ARC record"),
    ],
)
def test_unreadable_records_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        read_record(data)


# -- Memento -------------------------------------------------------------------------------
TRICKY = (
    '<http://a.example/p?x=1,2;y=3>;rel="original",\n'
    '<https://arch.example/tm/link/http://a.example/p?x=1,2;y=3> ; rel="self";'
    ' type=application/link-format; title="page 1, of 2; fixture",\n'
    '<https://arch.example/tm/link/2/http://a.example/p?x=1,2;y=3>; rel="timemap";'
    ' from="Tue, 01 Jan 2019 00:00:00 GMT"; until="Sat, 01 Jun 2019 00:00:00 GMT",\n'
    '<https://arch.example/tm/json/http://a.example/p>; rel="timemap"; type="application/json",\n'
    "<https://arch.example/w/20090101000000/http://a.example/p?x=1,2;y=3>;\n"
    '   rel="first memento"; datetime="Thu, 01 Jan 2009 00:00:00 GMT",\n'
    "<https://arch.example/w/20100203040506mp_/http://a.example/p?x=1,2;y=3>;"
    ' rel="memento last"; datetime="Wed, 03 Feb 2010 04:05:06 GMT",\n'
    'garbage without brackets; rel="memento",\n'
    "<https://arch.example/w/20110101000000/http://a.example/p>; rel=memento"
)


def test_link_format_commas_semicolons_and_rel_tokens() -> None:
    links, bad = parse_link_format(TRICKY)
    assert bad == 1
    assert links[0].uri == "http://a.example/p?x=1,2;y=3" and links[0].rels == ("original",)
    assert links[1].params["title"] == "page 1, of 2; fixture"
    assert links[4].rels == ("first", "memento")
    assert links[5].rels == ("memento", "last")
    assert links[6].rels == ("memento",)  # an unquoted rel


def test_timemap_mementos_and_pages() -> None:
    page = parse_timemap(TRICKY)
    assert page.original == "http://a.example/p?x=1,2;y=3"
    assert [m.timestamp for m in page.mementos] == [
        "20090101000000",
        "20100203040506",
        "20110101000000",  # no datetime: taken from the URL
    ]
    assert page.mementos[0].original == "http://a.example/p?x=1,2;y=3"
    assert [p.uri for p in page.pages] == [
        "https://arch.example/tm/link/2/http://a.example/p?x=1,2;y=3"  # not the JSON one
    ]
    assert pages_to_follow(page.pages, set(), d(2019, 3, 1), d(2019, 4, 1)) == [page.pages[0].uri]
    assert pages_to_follow(page.pages, set(), d(2020, 1, 1), d(2021, 1, 1)) == []  # after until
    assert pages_to_follow(page.pages, {page.pages[0].uri}, d(2019, 3, 1), d(2019, 4, 1)) == []


@pytest.mark.parametrize(
    ("uri", "raw"),
    [
        (
            "https://arquivo.pt/wayback/20190101000000/http://a.pt/",
            "https://arquivo.pt/wayback/20190101000000id_/http://a.pt/",
        ),
        (
            "https://www.webarchive.org.uk/wayback/archive/20150101000000mp_/https://a.uk/p",
            "https://www.webarchive.org.uk/wayback/archive/20150101000000id_/https://a.uk/p",
        ),
        (
            "https://a.example/w/20190101000000id_/http://a/",
            "https://a.example/w/20190101000000id_/http://a/",
        ),
        ("https://archive.ph/AbCdE", "https://archive.ph/AbCdE"),  # no /<ts>/ shape: as is
    ],
)
def test_raw_memento_url(uri: str, raw: str) -> None:
    assert raw_memento_url(uri) == raw


def test_split_memento_repairs_collapsed_scheme() -> None:
    assert split_memento("https://x.example/w/20190101000000id_/http:/a.example/p") == (
        "https://x.example/w/",
        "20190101000000",
        "http://a.example/p",
    )


# -- archive specs ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "kind", "name", "crawls"),
    [
        ("ia", "wayback", "ia", ()),
        ("https://web.archive.org/", "wayback", "ia", ()),
        ("http://127.0.0.1:8080", "wayback", "http://127.0.0.1:8080", ()),
        ("commoncrawl", "commoncrawl", "commoncrawl", ()),
        (
            "commoncrawl:CC-MAIN-2019-22,CC-MAIN-2019-26",
            "commoncrawl",
            "commoncrawl",
            ("CC-MAIN-2019-22", "CC-MAIN-2019-26"),
        ),
        (
            "memento:https://arquivo.pt/wayback/timemap/link/",
            "memento",
            "memento:arquivo.pt",
            (),
        ),
    ],
)
def test_archive_specs(spec: str, kind: str, name: str, crawls: tuple[str, ...]) -> None:
    got = parse_archive_spec(spec)
    assert (got.kind, got.name, got.crawls) == (kind, name, crawls)


@pytest.mark.parametrize(
    "spec", ["commoncrawl:2019-22", "memento:arquivo.pt/timemap/", "ftp://a.example/", "nonsense"]
)
def test_bad_archive_specs(spec: str) -> None:
    with pytest.raises(ArchiveSpecError):
        parse_archive_spec(spec)


# -- politeness per archive endpoint ----------------------------------------------------
def test_archive_endpoints_have_their_own_rates() -> None:
    from scrapy.http import Request
    from scrapy.utils.test import get_crawler

    from crawler import settings as project
    from crawler.middlewares import PolitenessMiddleware

    names = [n for n in dir(project) if n.startswith(("POLICYARCHIVE_", "RETRY_"))]
    mw = PolitenessMiddleware(get_crawler(settings_dict={n: getattr(project, n) for n in names}))

    def interval(url: str, endpoint: str | None) -> float:
        meta = {"dont_obey_robotstxt": True, "archive_endpoint": endpoint}
        return mw.endpoint(Request(url, meta=meta)).interval

    assert interval("https://index.commoncrawl.org/CC-MAIN-2019-22-index?url=a", "cc_index") == 1
    assert interval("https://data.commoncrawl.org/crawl-data/x.warc.gz", "cc_data") == 0.5
    assert interval("https://arquivo.pt/wayback/timemap/link/http://a.pt/", "timemap") == 0.5
    assert interval("https://arquivo.pt/wayback/20190101000000id_/http://a.pt/", "memento") == 0.25
    assert interval("https://other.example/tm/http://a/", "timemap") == 1.0
    # Arquivo.pt blocks for good past 250 CDX / 400 Memento requests a minute
    arquivo = project.POLICYARCHIVE_HOST_RATES["arquivo.pt"]
    assert arquivo["timemap"] * 60 < 250 / 2 and arquivo["memento"] * 60 < 400 / 1.5
    # the endpoint classes are separate: the index's pace does not hold back the ranges
    assert ("cc_index", "index.commoncrawl.org") in mw.endpoints
    assert ("cc_data", "data.commoncrawl.org") in mw.endpoints
