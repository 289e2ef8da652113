"""``policyarchive ingest``: local WARC, ARC and WACZ files through the wayback spider's
discovery, with no server."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipelines.storage.warcbuild import build_warc, load_spec
from pipelines.storage.warcread import Broken, Record, scan
from pipelines.storage.warcwrite import cdxj_line
from tests.crawl import read, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "archive" / "expected.json").read_text())
KEYS = ["site", "snapshot", "policy_url", "captured_at", "discovered_by", "text_digest"]


def ingest(*args: str) -> object:
    return run_cli("ingest", *args, "--workers", "0")


def keys(df: object) -> set[tuple[object, ...]]:
    return set(map(tuple, df[KEYS].values.tolist()))  # type: ignore[index]


@pytest.fixture(scope="module")
def fixture_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warc") / "fixtures.warc.gz"
    build_warc(load_spec(FIXTURES / "archive" / "spec.json"), path)
    return path


@pytest.fixture(scope="module")
def warc_run(fixture_warc: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    sites = str(FIXTURES / "sites.txt")
    proc = ingest(
        str(fixture_warc), "--sites", sites, "--from", "2005", "--to", "2014", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    assert "indexed " in proc.stdout and "documents: 76" in proc.stdout  # type: ignore[attr-defined]
    return out


def test_same_documents_as_the_wayback_spider(warc_run: Path, fixture_warc: Path) -> None:
    """The archive the wayback tests replay through pywb, read from its WARC file: the same
    captures are chosen (tests/fixtures/archive/expected.json)."""
    policies = read(warc_run, "policies")
    got = {(r.site, r.snapshot): r for r in policies.itertuples()}
    expected_ok = {
        (site, period): cell
        for site, periods in EXPECTED["sites"].items()
        for period, cell in periods.items()
        if cell["outcome"] == "ok"
    }
    assert set(got) == set(expected_ok)
    for key, cell in expected_ok.items():
        row = got[key]
        assert row.captured_at.strftime("%Y%m%d%H%M%S") == cell["timestamp"], key
        assert row.policy_url == cell["policy_url"], key
        assert row.discovered_by == cell["discovered_by"], key
        assert row.source == "warc" and pd.isna(row.archive_url)
        assert row.warc_filename == str(fixture_warc.resolve()) and row.warc_offset > 0
        assert not row.reextracted
    fetches = read(warc_run, "fetches")
    assert set(fetches.source) == {"warc"}
    homepage = fetches[(fetches.kind == "homepage") & (fetches.outcome == "ok")]
    assert len(homepage) and homepage.warc_offset.notna().all()


def build_wacz(warc: Path, dest: Path, *, index: str) -> Path:
    """A WACZ shaped like Browsertrix's: the WARC stored (not deflated) under archive/,
    a CDXJ index in indexes/index.cdx.gz ("cdx"; "zipnum": in gzip blocks of 20 lines with
    their ``index.idx``; "none"), pages/pages.jsonl and datapackage.json."""
    lines = []
    for rec in scan(str(warc)):
        assert isinstance(rec, Record)
        lines.append(
            cdxj_line(
                rec.url,
                rec.ts,
                mime=rec.mime,
                status=rec.status,
                digest=rec.digest,
                length=rec.length,
                offset=rec.offset,
                filename="data.warc.gz",
            )
        )
    pages = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}]
    pages += [{"url": f"http://www.{s}.example/", "ts": "2010-01-01T00:00:00Z"} for s in ("alpha",)]
    with zipfile.ZipFile(dest, "w") as zf:
        zf.write(warc, "archive/data.warc.gz", compress_type=zipfile.ZIP_STORED)
        lines.sort()
        if index == "cdx":
            cdx = gzip.compress("".join(line + "\n" for line in lines).encode())
            zf.writestr("indexes/index.cdx.gz", cdx, compress_type=zipfile.ZIP_STORED)
        elif index == "zipnum":
            blocks, idx, offset = b"", [], 0
            for i in range(0, len(lines), 20):
                block = gzip.compress("".join(line + "\n" for line in lines[i : i + 20]).encode())
                meta = {"offset": offset, "length": len(block), "filename": "index.cdx.gz"}
                idx.append(f"{lines[i].rsplit(' {', 1)[0]}\t{json.dumps(meta)}")
                blocks, offset = blocks + block, offset + len(block)
            zf.writestr("indexes/index.cdx.gz", blocks, compress_type=zipfile.ZIP_STORED)
            zf.writestr("indexes/index.idx", "".join(line + "\n" for line in idx))
        zf.writestr("pages/pages.jsonl", "".join(json.dumps(p) + "\n" for p in pages))
        zf.writestr(
            "datapackage.json",
            json.dumps({"profile": "data-package", "wacz_version": "1.1.1", "resources": []}),
        )
    return dest


@pytest.mark.parametrize("index", ["cdx", "zipnum", "none"])
def test_wacz_gives_the_same_documents(
    warc_run: Path, fixture_warc: Path, tmp_path: Path, index: str
) -> None:
    wacz = build_wacz(fixture_warc, tmp_path / "crawl.wacz", index=index)
    out = tmp_path / "out"
    sites = str(FIXTURES / "sites.txt")
    proc = ingest(
        str(tmp_path), "--sites", sites, "--from", "2005", "--to", "2014", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    used = 0 if index == "none" else 1
    assert f"{used} WACZ read from their own index" in proc.stdout  # type: ignore[attr-defined]
    got, want = read(out, "policies"), read(warc_run, "policies")
    assert keys(got) == keys(want)
    assert set(got.warc_filename) == {f"{wacz.resolve()}#archive/data.warc.gz"}
    assert not list(tmp_path.glob("*.warc.gz"))  # nothing unzipped beside it


def test_broken_record_is_reported_and_the_rest_read(fixture_warc: Path, tmp_path: Path) -> None:
    good = list(scan(str(fixture_warc)))
    victim = good[len(good) // 2]
    assert isinstance(victim, Record)
    data = bytearray(fixture_warc.read_bytes())
    data[victim.offset + 20 : victim.offset + 60] = b"\xff" * 40  # garble its deflate stream
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(bytes(data))
    got = list(scan(str(bad)))
    broken = [r for r in got if isinstance(r, Broken)]
    assert [b.offset for b in broken] == [victim.offset]
    assert [r.url for r in got if isinstance(r, Record)] == [
        r.url for r in good if isinstance(r, Record) and r is not victim
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    proc = ingest(str(tmp_path / "nope.warc.gz"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2  # type: ignore[attr-defined]
    assert "no such file or folder" in proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in proc.stderr  # type: ignore[attr-defined]


@pytest.mark.corpus
def test_real_files_with_broken_records(shared_data: Path, tmp_path: Path) -> None:
    """The warcio and pywb sample files (WARC, WARC.gz, ARC, ARC.gz; some broken), a folder
    and explicit files, with no sites and no dates: every domain, the collection's span."""
    root = shared_data / "warc"
    if not root.is_dir():
        pytest.skip("no WARC corpus in the shared data")
    data = root / "warcio_test_data" / "test" / "data"
    out = tmp_path / "out"
    proc = ingest(str(root), str(data / "example-bad.warc.gz.bad"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    assert "sites: every registered domain in the collection" in proc.stdout  # type: ignore[attr-defined]
    fetches = read(out, "fetches")
    broken = fetches[fetches.outcome == "broken_record"]
    where = {
        (Path(f).name, int(o))
        for f, o in zip(broken.warc_filename, broken.warc_offset, strict=True)
    }
    assert ("example-wrong-chunks.warc.gz", 516) in where  # the record after the bad chunks
    assert ("example-bad.warc.gz.bad", 0) in where  # one gzip stream: nothing addressable
    homepages = fetches[fetches.kind == "homepage"]
    assert {"example.com", "iana.org"} <= set(homepages.site)  # read past the broken ones
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert manifest["status"] == "complete"
