"""The local archive infrastructure: WARC builder, pywb server, fixture sites, live server."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.pywb_server import PywbError, PywbServer, find_pywb_python
from pipelines.storage.warcbuild import CaptureSpec, SpecError, build_warc, load_spec
from scripts.build_archive import main as build_archive_main
from tests.servers import LiveSiteServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SPEC = FIXTURES / "archive" / "spec.json"
EXPECTED = json.loads((FIXTURES / "archive" / "expected.json").read_text(encoding="utf-8"))
DEMO_SPEC = ROOT / "crawler" / "demo" / "archive.json"

ALPHA_POLICY = "http://www.alpha.example/privacy.html"
GAMMA_OLD = "http://www.gamma.example/privacy.php"
GAMMA_NEW = "http://www.gamma.example/legal/privacy-notice"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def spec_entries() -> list[dict[str, object]]:
    return json.loads(SPEC.read_text(encoding="utf-8"))["captures"]


# -- builder ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warc") / "fixtures.warc.gz"
    build_warc(load_spec(SPEC), path)
    return path


def test_builder_is_deterministic(fixture_warc: Path, tmp_path: Path) -> None:
    again = tmp_path / "elsewhere" / "other-name.warc.gz"
    build_warc(load_spec(SPEC), again)
    assert sha256(again) == sha256(fixture_warc)


def test_builder_writes_every_capture_with_its_status_date_and_bytes(fixture_warc: Path) -> None:
    entries = {(e["url"], e["timestamp"]): e for e in spec_entries()}
    seen = {}
    with fixture_warc.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type not in ("response", "revisit"):
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            date = rec.rec_headers.get_header("WARC-Date")
            ts = date.replace("-", "").replace("T", "").replace(":", "").rstrip("Z")
            seen[(url, ts)] = (rec.rec_type, rec.http_headers, rec.content_stream().read())
    assert set(seen) == set(entries)
    for key, entry in entries.items():
        rec_type, http, body = seen[key]
        assert http.get_statuscode() == str(entry["status"])
        if entry.get("revisit"):
            assert rec_type == "revisit"
            continue
        assert rec_type == "response"
        if "file" in entry:
            assert body == (SPEC.parent / str(entry["file"])).read_bytes()
        if entry["status"] == 301:
            assert http.get_header("Location") == entry["location"]


def test_builder_rejects_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="needs a location"):
        CaptureSpec("http://a.example/", "20090101000000", 301)
    with pytest.raises(SpecError, match="14 digits"):
        CaptureSpec("http://a.example/", "2009", 200, b"x")
    with pytest.raises(SpecError, match="duplicate"):
        cap = CaptureSpec("http://a.example/", "20090101000000", 200, b"x")
        build_warc([cap, cap], tmp_path / "dup.warc.gz")
    with pytest.raises(SpecError, match="revisit"):
        build_warc(
            [CaptureSpec("http://a.example/", "20090101000000", 200, b"x", revisit=True)],
            tmp_path / "rev.warc.gz",
        )
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"captures": [{"url": "http://a.example/", "timestamp": "20090101000000"}]})
    )
    with pytest.raises(SpecError, match=r"capture #0 .*needs 'file' or 'text'"):
        load_spec(spec)
    spec.write_text(
        json.dumps(
            {"captures": [{"url": "http://a.example/", "timestamp": "20090101000000", "file": "x"}]}
        )
    )
    with pytest.raises(SpecError, match="page file not found"):
        load_spec(spec)


def test_build_archive_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.warc.gz"
    assert build_archive_main([str(DEMO_SPEC), str(out)]) == 0
    assert sha256(out) in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert build_archive_main([str(bad), str(tmp_path / "bad.warc.gz")]) == 1
    assert "not valid JSON" in capsys.readouterr().err


# -- fixture data is self-consistent ------------------------------------------------------


def test_expected_table_matches_the_spec() -> None:
    by_key = {(e["url"], e["timestamp"]): e for e in spec_entries()}
    for version, info in EXPECTED["versions"].items():
        page = SPEC.parent / info["file"]
        assert sha256(page) == info["sha256"], version
        assert 300 <= info["words"] <= 900, version
        assert info["marker"] in page.read_text(encoding="utf-8")
    ok = 0
    for site, rows in EXPECTED["sites"].items():
        for period, row in rows.items():
            if row["outcome"] != "ok":
                continue
            ok += 1
            entry = by_key[(row["policy_url"], row["timestamp"])]
            assert entry["status"] == 200, (site, period)
            assert entry["file"] == EXPECTED["versions"][row["version"]]["file"], (site, period)
    assert ok > 60


def test_sites_files_parse_as_documented() -> None:
    for sites in (FIXTURES / "sites.txt", ROOT / "crawler" / "demo" / "sites.txt"):
        lines = sites.read_text(encoding="utf-8").splitlines()
        assert any(ln.startswith("#") for ln in lines) and "" in lines
        entries = [ln for ln in lines if ln and not ln.startswith("#")]
        assert sum("," in ln for ln in entries) == 1
    fixture_sites = {
        ln.split(",")[0]
        for ln in (FIXTURES / "sites.txt").read_text().splitlines()
        if ln and not ln.startswith("#")
    }
    assert fixture_sites == set(EXPECTED["sites"])


# -- pywb -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pywb(fixture_warc: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if find_pywb_python() is None:
        pytest.skip("pywb venv not found: set POLICYARCHIVE_PYWB_PYTHON or create .venv-pywb")
    server = PywbServer([fixture_warc], tmp_path_factory.mktemp("pywb"))
    base = server.start()
    yield base
    server.stop()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", url[len(f"{parts.scheme}://{parts.netloc}") :])
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def cdx(base: str, query: str) -> list[dict[str, str]]:
    status, headers, body = get(f"{base}/cdx/search/cdx?{query}")
    assert status == 200
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


@pytest.mark.pywb
def test_cdx_answers_ndjson_with_the_fixture_captures(pywb: str) -> None:
    rows = cdx(pywb, f"url={ALPHA_POLICY}&output=json&from=2008&to=2008")
    wanted = sorted(
        e["timestamp"]
        for e in spec_entries()
        if e["url"] == ALPHA_POLICY and str(e["timestamp"]).startswith("2008")
    )
    assert [r["timestamp"] for r in rows] == wanted
    for row in rows:
        assert row["url"] == ALPHA_POLICY
        assert row["mime"] == "text/html"
        assert row["status"] == "200"


@pytest.mark.pywb
def test_cdx_revisit_and_404_rows(pywb: str) -> None:
    rows = cdx(pywb, f"url={ALPHA_POLICY}&output=json&from=200911&to=200911")
    assert [(r["timestamp"], r["mime"], r.get("status")) for r in rows] == [
        ("20091115093000", "warc/revisit", None)
    ]
    delta404 = "http://www.delta.example/privacy.html"
    assert [r["status"] for r in cdx(pywb, f"url={delta404}&output=json")] == ["404"]
    honest = cdx(pywb, f"url={delta404}&output=json&filter=statuscode:200&allowFuzzy=false")
    assert honest == []


@pytest.mark.pywb
def test_replay_returns_the_exact_page_bytes(pywb: str) -> None:
    row = EXPECTED["sites"]["alpha.example"]["2012H1"]
    page = SPEC.parent / EXPECTED["versions"][row["version"]]["file"]
    status, headers, body = get(f"{pywb}/web/{row['timestamp']}id_/{ALPHA_POLICY}")
    assert status == 200
    assert body == page.read_bytes()
    # the revisit record replays as the bytes it refers to
    status, _, body = get(f"{pywb}/web/20091115093000id_/{ALPHA_POLICY}")
    assert status == 200
    assert body == (SPEC.parent / "pages" / "alpha-privacy-2008.html").read_bytes()


@pytest.mark.pywb
def test_archived_301_comes_back_as_301_with_its_location(pywb: str) -> None:
    redirects = [e for e in spec_entries() if e["url"] == GAMMA_OLD and e["status"] == 301]
    assert redirects
    for entry in redirects:
        status, headers, _ = get(f"{pywb}/web/{entry['timestamp']}id_/{GAMMA_OLD}")
        assert status == 301
        assert headers["Location"] == GAMMA_NEW


@pytest.mark.pywb
def test_pywb_stops(fixture_warc: Path, tmp_path: Path) -> None:
    if find_pywb_python() is None:
        pytest.skip("pywb venv not found")
    with PywbServer([fixture_warc], tmp_path) as server:
        base = server.base_url
        assert server.running
        assert cdx(base, "url=epsilon.example/&output=json")
    assert not server.running
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base}/cdx/search/cdx?url=x", timeout=2)


def test_pywb_server_reports_a_broken_pywb(fixture_warc: Path, tmp_path: Path) -> None:
    # This test's own interpreter has no pywb: indexing fails and the error names the log.
    server = PywbServer([fixture_warc], tmp_path, pywb_python=Path(sys.executable))
    with pytest.raises(PywbError, match=r"pywb\.log"):
        server.start(timeout=10)
    assert not server.running
    with pytest.raises(PywbError, match="not found"):
        PywbServer(
            [tmp_path / "missing.warc.gz"], tmp_path, pywb_python=Path(sys.executable)
        ).start()


# -- live sites -------------------------------------------------------------------------


def fetch(live: LiveSiteServer, host: str, path: str, ua: str = "policyarchive-test") -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", f"{host}:{live.port}")
        conn.putheader("User-Agent", ua)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


def test_live_site_server_serves_sites_by_host() -> None:
    with LiveSiteServer() as live:
        status, ctype, body = fetch(live, "www.alpha.example", "/")
        assert (status, ctype) == (200, "text/html; charset=utf-8")
        assert b'href="/privacy.html"' in body
        status, _, body = fetch(live, "www.alpha.example", "/privacy.html")
        assert status == 200 and b"Privacy Policy" in body
        # the cross-host link gets the server's port
        _, _, body = fetch(live, "www.beta.example", "/")
        assert f"http://legal.betagroup.example:{live.port}/privacy".encode() in body
        assert b"{{PORT}}" not in body
        status, _, body = fetch(live, "legal.betagroup.example", "/privacy")
        assert status == 200 and b"Group Privacy Policy" in body
        # robots.txt per host; the gamma policy exists but is disallowed
        status, ctype, body = fetch(live, "www.gamma.example", "/robots.txt")
        assert status == 200 and ctype.startswith("text/plain")
        assert b"Disallow: /legal/" in body
        assert fetch(live, "www.gamma.example", "/legal/privacy-notice")[0] == 200
        # 404s: unknown path, unknown host, no escaping the host folder
        assert fetch(live, "www.alpha.example", "/nope.html")[0] == 404
        assert fetch(live, "unknown.example", "/")[0] == 404
        assert fetch(live, "www.alpha.example", "/../www.beta.example/index.html")[0] == 404
        assert fetch(live, "www.beta.example", "/robots.txt")[0] == 404
        requests = live.requests_for("www.alpha.example")
        assert [r.path for r in requests][:2] == ["/", "/privacy.html"]
        assert all(r.user_agent == "policyarchive-test" for r in requests)
        assert live.url("www.alpha.example") == f"http://www.alpha.example:{live.port}/"
