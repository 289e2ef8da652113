"""``--warc-out``: what wayback and live runs fetched, kept as WARC/1.1 that pywb replays and
``ingest`` turns back into the same documents."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.pywb_server import PywbServer
from pipelines.storage.warcread import read_record, scan
from pipelines.storage.warcwrite import Capture, WarcOut
from tests.crawl import read, run_cli
from tests.servers import LiveSiteServer

FIXTURES = Path(__file__).parent / "fixtures"
KEYS = ["site", "snapshot", "policy_url", "captured_at", "discovered_by", "text_digest"]


def records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    out = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            headers = dict(rec.rec_headers.headers)
            out.append((rec.rec_type, headers, rec.content_stream().read()))
    return out


def keys(df: object) -> set[tuple[object, ...]]:
    df["snapshot"] = df["snapshot"].astype(str)  # type: ignore[index]
    return set(map(tuple, df[KEYS].values.tolist()))  # type: ignore[index]


@pytest.fixture(scope="module")
def wb_run(archive: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("warcout")
    proc = run_cli(
        "wayback",
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        "2005",
        "--to",
        "2014",
        "--archive",
        archive,
        "--out",
        str(work / "out"),
        "--workers",
        "1",
        "--warc-out",
        str(work / "warc"),
        "-s",
        "POLICYARCHIVE_WARC_MAX_BYTES=20000",  # small files: rotation happens
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work / "out", work / "warc"


@pytest.mark.pywb
def test_wayback_warcs_hold_every_capture_a_row_names(wb_run: tuple[Path, Path]) -> None:
    out, warc = wb_run
    files = sorted(warc.glob("*.warc.gz"))
    assert len(files) > 1 and not list(warc.glob("*.open"))  # rotated, all closed
    kinds: Counter[str] = Counter()
    captures: dict[tuple[str, str], str] = {}
    for f in files:
        assert f.stat().st_size < 20000 + 20000  # one group past the cap at most
        recs = records(f)
        assert recs[0][0] == "warcinfo"
        for kind, h, _ in recs:
            assert h["WARC-Type"] == kind
            kinds[kind] += 1
            if kind in ("response", "revisit"):
                assert "/web/" not in h["WARC-Target-URI"]  # the original URL
                captures[(h["WARC-Target-URI"], h["WARC-Date"])] = kind
    assert kinds["response"] and kinds["revisit"] and kinds["metadata"]
    assert kinds["request"] == 0  # archived captures: the archive's request is not ours
    policies = read(out, "policies")
    for row in policies.itertuples():
        when = row.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (row.policy_url, when) in captures  # every document's capture is stored
        body = read_record(row.warc_filename, int(row.warc_offset)).body
        assert hashlib.sha256(body).hexdigest() == row.content_digest
    lines = (warc / "index.cdxj").read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == kinds["response"] + kinds["revisit"]
    meta = [b for f in files for k, _, b in records(f) if k == "metadata"]
    assert all(b"run-id: " in m and b"archive-url: http://127.0.0.1" in m for m in meta)


@pytest.mark.pywb
def test_pywb_replays_the_stored_warcs(wb_run: tuple[Path, Path], tmp_path: Path) -> None:
    out, warc = wb_run
    policies = read(out, "policies")
    with PywbServer(sorted(warc.glob("*.warc.gz")), tmp_path / "pywb") as server:
        base = server.start()
        for row in policies.itertuples():
            ts = row.captured_at.strftime("%Y%m%d%H%M%S")
            with urllib.request.urlopen(f"{base}/web/{ts}id_/{row.policy_url}") as resp:
                body = resp.read()
            assert hashlib.sha256(body).hexdigest() == row.content_digest, (ts, row.policy_url)


@pytest.mark.pywb
def test_ingest_gives_back_the_same_documents(wb_run: tuple[Path, Path], tmp_path: Path) -> None:
    out, warc = wb_run
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
        str(tmp_path / "again"),
        "--workers",
        "1",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    original, again = read(out, "policies"), read(tmp_path / "again", "policies")
    assert len(original) == 76
    assert keys(again) == keys(original)  # same captures, same discovery, same text
    assert set(again.source) == {"warc"}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveSiteServer]:
    with LiveSiteServer() as server:
        server.start()
        yield server


def test_live_warcs_have_requests_and_round_trip(live: LiveSiteServer, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("".join(f"{live.url(h)}\n" for h in ("www.alpha.example", "www.beta.example")))
    resolve = ["-s", "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"})]
    proc = run_cli(
        "live",
        "--sites",
        str(sites),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "0",
        "--warc-out",
        str(tmp_path / "warc"),
        *resolve,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (f,) = sorted((tmp_path / "warc").glob("*.warc.gz"))
    recs = records(f)
    ids = {h["WARC-Record-ID"]: k for k, h, _ in recs}
    requests = [h for k, h, _ in recs if k == "request"]
    assert requests and all(ids[h["WARC-Concurrent-To"]] == "response" for h in requests)
    assert not any("robots.txt" in h.get("WARC-Target-URI", "") for _, h, _ in recs)
    live_docs = read(tmp_path / "out", "policies")
    assert live_docs.warc_filename.notna().all()
    proc = run_cli(
        "ingest",
        str(tmp_path / "warc"),
        "--sites",
        str(sites),
        "--out",
        str(tmp_path / "again"),
        "--workers",
        "0",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = read(tmp_path / "again", "policies")
    pairs = {(r.site, r.text_digest) for r in live_docs.itertuples()}
    assert pairs and {(r.site, r.text_digest) for r in again.itertuples()} == pairs


def test_a_killed_writer_leaves_readable_records(tmp_path: Path) -> None:
    out = WarcOut(tmp_path, "run1")
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    for i in range(3):
        body = f"<html><body>page {i}</body></html>".encode()
        html = [("Content-Type", "text/html")]
        out.write(Capture(f"http://a.example/{i}", when, 200, html, body))
    (open_file,) = tmp_path.glob("*.warc.gz.open")  # not closed: as a kill leaves it
    got = list(scan(str(open_file)))
    assert [r.url for r in got] == [f"http://a.example/{i}" for i in range(3)]
    data = open_file.read_bytes()
    open_file.write_bytes(data[: got[2].offset + got[2].length // 2])  # cut the last record
    got = list(scan(str(open_file)))
    assert [type(r).__name__ for r in got] == ["Record", "Record", "Broken"]
    out.close()
