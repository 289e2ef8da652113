"""Common Crawl's index answers in pages: a host listing counts them (``showNumPages``) and
reads every one, so a host spread over several pages is still listed whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.archive.commoncrawl import num_pages
from tests.archive_servers import CcIndexServer, RangeDataServer, build_cc_collection, url_key
from tests.crawl import read
from tests.test_archive_sources import CAPS, assert_expected, wayback


@pytest.fixture(scope="module")
def tiny_pages(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CcIndexServer, RangeDataServer]]:
    root = tmp_path_factory.mktemp("ccpages")
    index = build_cc_collection(CAPS, root)
    # one line a block, one block a page: a host with 5 captures in a crawl has 5 pages
    with CcIndexServer(index, block_lines=1, page_size=1) as idx, RangeDataServer(root) as data:
        yield idx, data


def _queries(idx: CcIndexServer) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(p).query).items()}
        for p in idx.requests
        if "-index?" in p
    ]


def _listed(queries: list[dict[str, str]]) -> set[str]:
    return {url_key(q["url"]).split("/")[0] for q in queries if q.get("matchType") == "prefix"}


def _asked_per_url(queries: list[dict[str, str]]) -> set[str]:
    return {url_key(q["url"]).split("/")[0] for q in queries if q.get("matchType") != "prefix"}


def _run(cc: tuple[CcIndexServer, RangeDataServer], out: Path) -> list[dict[str, str]]:
    idx, data = cc
    idx.requests.clear()
    policies = wayback(
        out, "--archive", "commoncrawl", "--cc-index", idx.base, "--cc-data", data.base
    )
    assert_expected(policies)
    return _queries(idx)


def test_a_host_over_several_pages_is_listed_whole(
    tiny_pages: tuple[CcIndexServer, RangeDataServer], tmp_path: Path
) -> None:
    idx, _ = tiny_pages
    # the server does page: page 0 alone misses captures of the busiest host
    assert (
        idx.answer(
            "/CC-MAIN-2006-10-index?url=alpha.example/&matchType=prefix&showNumPages=true", {}
        )[2]
        == b'{"pages": 5, "pageSize": 1, "blocks": 5}'
    )
    queries = _run(tiny_pages, tmp_path)
    counts = [q for q in queries if q.get("showNumPages") == "true"]
    pages = [int(q["page"]) for q in queries if "page" in q]
    assert counts and max(pages) == 4  # pages 0…4 of the busiest host were read
    # every URL on a listed host was answered by its listing: per-URL queries are only for
    # hosts never listed (a policy on another host, a policy URL given in the sites file)
    assert _asked_per_url(queries) and not _asked_per_url(queries) & _listed(queries)
    fetches = read(tmp_path, "fetches")
    cdx = fetches[fetches.kind == "cdx"]
    assert set(cdx.outcome) == {"ok"}
    # no page past the end asked: showNumPages said where the end is
    assert not (cdx.http_status == 400).any()


def test_page_past_the_end_is_not_an_error(
    tiny_pages: tuple[CcIndexServer, RangeDataServer], tmp_path: Path
) -> None:
    idx, _ = tiny_pages
    idx.fault("showNumPages", "overcount")  # one page more counted than there is
    try:
        queries = _run(tiny_pages, tmp_path)
    finally:
        idx.faults.clear()
    assert any("page" in q for q in queries)
    fetches = read(tmp_path, "fetches")
    cdx = fetches[fetches.kind == "cdx"]
    past = cdx[cdx.http_status == 400]
    assert len(past) > 0 and set(past.outcome) == {"ok"}
    assert set(cdx.outcome) == {"ok"}
    assert not _asked_per_url(queries) & _listed(queries)


def test_num_pages_reads_only_a_page_count() -> None:
    assert num_pages(b'{"pages": 3, "pageSize": 5, "blocks": 11}') == 3
    assert num_pages(b'{"pages": 0, "pageSize": 5, "blocks": 0}') == 0
    assert num_pages(b'{"pages": "2"}') == 2
    # an index that ignores showNumPages answers with captures: not a count
    assert num_pages(b'{"urlkey": "a/", "timestamp": "20200101000000"}\n{"urlkey": "b/"}\n') is None
    assert num_pages(b'{"pages": -1}') is None
    assert num_pages(b'{"pages": true}') is None
    assert num_pages(b"<html>busy</html>") is None
