from __future__ import annotations

import json

import pytest

from crawler.archive.cdx import (
    cdx_query_url,
    closest_to_midpoint,
    distinct_versions,
    is_revisit,
    parse_cdx,
    raw_capture_url,
    same_document,
    seed_capture_url,
    usable,
)
from crawler.archive.client import split_archive_url
from pipelines.history.periods import parse_ts14, period_of

HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def row(ts: str, digest: str = "AAA", status: str = "200", url: str = "http://x.com/p") -> list:
    return ["com,x)/p", ts, url, "text/html", status, digest, "100"]


def test_ia_json_with_resume_key() -> None:
    body = json.dumps([HEADER, row("20090101000000"), row("20090601000000", "BBB"), [], ["K1"]])
    page = parse_cdx(body)
    assert [r.timestamp for r in page.records] == ["20090101000000", "20090601000000"]
    assert page.resume_key == "K1"
    assert page.malformed == 0


def test_ia_text_with_resume_key_and_bad_lines() -> None:
    body = (
        "com,x)/p 20090101000000 http://x.com/p text/html 200 AAA 100\n"
        "com,x)/p 20090201000000 http://x.com/p text/html - - -\n"
        "truncated line\n"
        "com,x)/p notatime http://x.com/p text/html 200 AAA 100\n"
        "\n"
        "RESUMEKEY\n"
    )
    page = parse_cdx(body)
    assert [r.timestamp for r in page.records] == ["20090101000000", "20090201000000"]
    assert page.records[1].statuscode == "-"
    assert page.malformed == 2
    assert page.resume_key == "RESUMEKEY"


def test_pywb_ndjson() -> None:
    lines = [
        {
            "urlkey": "com,x)/p",
            "timestamp": "20090101000000",
            "url": "http://x.com/p",
            "mime": "text/html",
            "status": "200",
            "digest": "AAA",
            "length": "100",
        },
        {
            "urlkey": "com,x)/p",
            "timestamp": "20100101000000",
            "url": "http://x.com/p",
            "mime": "text/html",
            "status": "301",
            "digest": "CCC",
            "length": "10",
        },
    ]
    body = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n"
    page = parse_cdx(body.encode())
    assert [(r.original, r.statuscode, r.mimetype) for r in page.records] == [
        ("http://x.com/p", "200", "text/html"),
        ("http://x.com/p", "301", "text/html"),
    ]
    assert page.malformed == 1


@pytest.mark.parametrize("body", ["", "   \n", "[]", b""])
def test_empty_answers(body: str | bytes) -> None:
    page = parse_cdx(body)
    assert page.records == [] and page.resume_key is None


def test_broken_json_counts_as_malformed() -> None:
    assert parse_cdx('[["urlkey", "timestamp"], ["com').malformed == 1


def test_distinct_versions_drop_repeats_but_keep_reverts() -> None:
    recs = parse_cdx(
        json.dumps(
            [
                HEADER,
                row("20090301000000", "A"),
                row("20090101000000", "A"),
                row("20090601000000", "B"),
                row("20091001000000", "A"),
            ]
        )
    ).records
    assert [(r.timestamp, r.digest) for r in distinct_versions(recs)] == [
        ("20090101000000", "A"),
        ("20090601000000", "B"),
        ("20091001000000", "A"),
    ]


def test_closest_to_midpoint_within_the_period_only() -> None:
    recs = parse_cdx(
        json.dumps([HEADER, row("20090105000000"), row("20090420000000"), row("20090720000000")])
    ).records
    p = period_of(parse_ts14("20090301"), "half")
    assert closest_to_midpoint(recs, p).timestamp == "20090420000000"
    assert closest_to_midpoint(recs, period_of(parse_ts14("2011"), "half")) is None


def test_query_has_paging_status_filter_and_no_fuzzy() -> None:
    q = cdx_query_url(
        "http://127.0.0.1:1/", "x.com/p", from_ts="2005", to_ts="2014", resume_key="K 1"
    )
    assert q.startswith("http://127.0.0.1:1/cdx/search/cdx?url=x.com%2Fp&output=json")
    for part in (
        "from=2005",
        "to=2014",
        "filter=statuscode%3A200",
        "allowFuzzy=false",
        "showResumeKey=true",
        "resumeKey=K%201",
    ):
        assert part in q


def test_capture_urls() -> None:
    url = "http://www.netregistry.com.au/customer-service/legals/privacy-policy.php"
    assert raw_capture_url("https://web.archive.org", "20091218024508", url) == (
        "https://web.archive.org/web/20091218024508id_/" + url
    )
    assert seed_capture_url("https://web.archive.org/", "20091218024508", url) == (
        "https://web.archive.org/web/20091218024508id_/http%3A//www.netregistry.com.au/"
        "customer-service/legals/privacy-policy.php"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://web.archive.org/web/20100101000000id_/http://x.com/a",
            ("20100101000000", "http://x.com/a"),
        ),
        ("https://web.archive.org/web/2010/http://x.com/a", ("2010", "http://x.com/a")),
        (
            "https://web.archive.org/web/20100101000000id_/http%3A//x.com/a",
            ("20100101000000", "http://x.com/a"),
        ),
        ("http://x.com/a", (None, "http://x.com/a")),
    ],
)
def test_split_archive_url(url: str, expected: tuple) -> None:
    assert split_archive_url("https://web.archive.org", url) == expected


def test_same_document_ignores_scheme_www_and_trailing_slash() -> None:
    assert same_document("http://www.x.com/a/", "https://x.com/a")
    assert not same_document("http://x.com/a", "http://x.com/b")


def test_revisit_rows_as_the_internet_archive_lists_them() -> None:
    # shapes from the recorded dw.com search (../shared/data/wayback_api) and pywb's NDJSON
    page = parse_cdx(
        "com,dw)/ 20191001012455 http://www.dw.com/ warc/revisit - "
        "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ 432\n"
        "com,dw)/ 20191002000000 http://www.dw.com/ text/html 200 "
        "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ 9000\n"
        "com,dw)/ 20191003000000 http://www.dw.com/ warc/revisit - - 400\n"
    )
    revisit, full, no_digest = page.records
    assert is_revisit(revisit) and not usable(revisit)
    assert not is_revisit(full) and usable(full)
    assert not is_revisit(no_digest)  # nothing says what it would replay
    ndjson = parse_cdx(
        '{"urlkey": "example,r)/p", "timestamp": "20050815120000", "url": "http://r.example/p",'
        ' "mime": "warc/revisit", "digest": "6MHNP36A4HQFXVKMACBIMGC3NMQW7ZJF"}\n'
    )
    assert is_revisit(ndjson.records[0])
