"""``--warc-out`` on Common Crawl and Memento sources: the captures kept as WARC/1.1 under
their original URL and capture time, and ``ingest`` of them gives the same documents."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.storage.warcread import read_record
from tests.archive_servers import (
    CcIndexServer,
    RangeDataServer,
    TimeMapServer,
    build_cc_collection,
)
from tests.crawl import read, run_cli
from tests.test_archive_sources import CAPS, wayback
from tests.test_warc_out import FIXTURES, keys, records


@pytest.fixture(scope="module")
def cc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CcIndexServer, RangeDataServer]]:
    root = tmp_path_factory.mktemp("cc")
    index = build_cc_collection(CAPS, root)
    with CcIndexServer(index) as idx, RangeDataServer(root) as data:
        yield idx, data


def _ingest(warc: Path, out: Path) -> None:
    proc = run_cli(
        "ingest",
        str(warc),
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        "2005",
        "--to",
        "2014",
        "--out",
        str(out),
        "--workers",
        "0",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def _stored(warc: Path) -> tuple[dict[tuple[str, str], str], list[bytes]]:
    """(type of each stored capture by (WARC-Target-URI, WARC-Date), metadata bodies)."""
    captures: dict[tuple[str, str], str] = {}
    meta: list[bytes] = []
    for f in sorted(warc.glob("*.warc.gz")):
        for kind, h, body in records(f):
            if kind in ("response", "revisit"):
                captures[(h["WARC-Target-URI"], h["WARC-Date"])] = kind
            elif kind == "metadata":
                meta.append(body)
    return captures, meta


def _same_documents_again(out: Path, warc: Path, again: Path) -> None:
    policies = read(out, "policies")
    captures, _ = _stored(warc)
    for row in policies.itertuples():
        when = row.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert captures.get((row.policy_url, when)) in ("response", "revisit"), row.policy_url
        body = read_record(row.warc_filename, int(row.warc_offset)).body
        assert hashlib.sha256(body).hexdigest() == row.content_digest
    _ingest(warc, again)
    ingested = read(again, "policies")
    assert len(policies) == 76
    assert keys(ingested) == keys(policies)  # same captures, discovery and text_digest
    assert set(ingested.source) == {"warc"}


def test_common_crawl_captures_round_trip(
    cc: tuple[CcIndexServer, RangeDataServer], tmp_path: Path
) -> None:
    idx, data = cc
    out, warc = tmp_path / "out", tmp_path / "warc"
    wayback(
        out,
        *("--archive", "commoncrawl", "--cc-index", idx.base, "--cc-data", data.base),
        *("--warc-out", str(warc)),
    )
    captures, meta = _stored(warc)
    assert captures and all(u.startswith("http://") and "crawl-data" not in u for u, _ in captures)
    # the metadata record names where the record was read: the data file and its range
    range_urls = [m for m in meta if f"archive-url: {data.base}/crawl-data/".encode() in m]
    assert range_urls and all(b"#offset=" in m and b"&length=" in m for m in range_urls)
    _same_documents_again(out, warc, tmp_path / "again")


def test_memento_captures_round_trip(tmp_path: Path) -> None:
    out, warc = tmp_path / "out", tmp_path / "warc"
    with TimeMapServer(CAPS, page_size=2) as server:
        wayback(out, "--archive", f"memento:{server.base}/timemap/link/", "--warc-out", str(warc))
        base = server.base
    captures, meta = _stored(warc)
    assert captures and all("/wayback/" not in u for u, _ in captures)
    assert any(f"archive-url: {base}/wayback/".encode() in m for m in meta)
    _same_documents_again(out, warc, tmp_path / "again")
