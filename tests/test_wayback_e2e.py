"""End to end: the Wayback spider against a real pywb replaying the fixture archive."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipelines.storage.parquet import verify_manifest_files
from pipelines.storage.read import part_files
from tests.crawl import read, run_cli, run_scrapy

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "archive" / "expected.json").read_text())
MARKERS = {  # a line unique to each version (EXPECTED.md)
    "alpha-v1": "Effective date: January 10, 2005",
    "alpha-v2": "Last updated: March 1, 2008",
    "alpha-v3": "Last updated: April 2, 2012",
    "beta-v1": "This policy was last revised on 14 February 2006.",
    "beta-v2": "This policy was last revised on 1 March 2011.",
    "gamma-v1": "Last modified: June 5, 2006",
    "gamma-v2": "Effective: January 15, 2010",
    "gamma-v3": "Effective: February 1, 2013",
    "delta-v1": "Version 1.0 - 2 April 2007",
    "delta-v2": "Version 2.0 - 10 January 2011",
    "zeta-v1": "Status: May 2009",
    "zeta-v2": "Status: August 2012",
}

pytestmark = pytest.mark.pywb


@pytest.fixture(scope="module")
def half_run(archive: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    proc = wayback("--archive", archive, "--out", str(out), "--workers", "1")
    return out, proc


def wayback(*args: str) -> subprocess.CompletedProcess[str]:
    """The fixture sites, 2005–2014, with extra arguments."""
    sites = str(FIXTURES / "sites.txt")
    return run_cli("wayback", "--sites", sites, "--from", "2005", "--to", "2014", *args)


def version_of(text: str) -> str | None:
    found = [v for v, marker in MARKERS.items() if marker in text]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_every_policy_found_in_every_period(half_run: tuple[Path, object]) -> None:
    out, proc = half_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "documents:" in proc.stdout  # the printed summary
    policies = read(out, "policies")
    got = {(r.site, r.snapshot): r for r in policies.itertuples()}
    expected_ok = {
        (site, period): cell
        for site, periods in EXPECTED["sites"].items()
        for period, cell in periods.items()
        if cell["outcome"] == "ok"
    }
    assert set(got) == set(expected_ok)  # one row per site and snapshot, no more, no less
    for key, cell in expected_ok.items():
        row = got[key]
        assert version_of(row.text) == cell["version"], key
        assert row.captured_at.strftime("%Y%m%d%H%M%S") == cell["timestamp"], key
        assert row.policy_url == cell["policy_url"], key
        assert row.discovered_by == cell["discovered_by"], key
        assert row.archive_url.endswith(f"/web/{cell['timestamp']}id_/{cell['policy_url']}")
        assert row.clause_count > 3 and row.word_count > 300


def test_policy_text_is_whole(half_run: tuple[Path, object]) -> None:
    out, _ = half_run
    policies = read(out, "policies")
    alpha3 = policies[(policies.site == "alpha.example") & (policies.snapshot == "2012H1")].iloc[0]
    # v3 has a <div id="cookie-policy"> section: trafilatura's defaults would drop it
    assert "cookie" in alpha3.text.lower()
    gamma1 = policies[(policies.site == "gamma.example") & (policies.snapshot == "2006H1")].iloc[0]
    assert gamma1.word_count > 350  # v1 is a table-layout page


def test_dead_ends_have_reasons(half_run: tuple[Path, object]) -> None:
    out, _ = half_run
    fetches = read(out, "fetches")
    policy_rows = fetches[fetches.kind == "policy"]
    outcomes = {(r.site, r.snapshot): r.outcome for r in policy_rows.itertuples()}
    for site, periods in EXPECTED["sites"].items():
        for period, cell in periods.items():
            if cell["outcome"] == "ok":
                assert outcomes[(site, period)] == "ok"
            elif cell["outcome"] == "no_policy":
                assert outcomes[(site, period)] == "no_policy_found", (site, period)
            else:
                assert outcomes[(site, period)] in {"no_capture_in_period", "no_policy_found"}
    assert (fetches.kind == "cdx").any() and (fetches.kind == "homepage").any()


def test_manifest_and_clauses(half_run: tuple[Path, object]) -> None:
    out, _ = half_run
    (manifest_path,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "complete"
    assert manifest["arguments"]["every"] == "half"
    assert verify_manifest_files(out, manifest["files"]) == []
    policies, clauses = read(out, "policies"), read(out, "clauses")
    assert manifest["counts"]["rows"]["policies"] == len(policies)
    assert set(clauses.policy_id) == set(policies.policy_id)
    assert policies.policy_id.is_unique and clauses.clause_id.is_unique
    counts = clauses.groupby("policy_id").size().to_dict()
    assert counts == policies.set_index("policy_id").clause_count.to_dict()
    assert not list(out.rglob(".tmp-*"))


def test_export_writes_seed_format(
    half_run: tuple[Path, object], tmp_path: Path, archive: str
) -> None:
    out, _ = half_run
    proc = run_cli("export", str(out), str(tmp_path / "md"))
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "md").rglob("*.md"))
    assert len(files) == len(read(out, "policies"))
    beta = next(f for f in files if f.parent.name == "beta.example" and "2006H1" in f.name)
    text = beta.read_text()
    assert text.startswith(
        "> *The following text is extracted and transformed from the beta.example privacy "
        "policy that was archived on 2006-04-03. Please check the [original snapshot on the "
        f"Wayback Machine]({archive}/web/20060403091204id_/http%3A//legal.betagroup.example/"
        "privacy) for the most accurate reproduction.*\n\n"
    )
    assert MARKERS["beta-v1"] in text


def test_rerun_adds_nothing(half_run: tuple[Path, object], archive: str) -> None:
    out, _ = half_run
    before = len(read(out, "policies")), len(read(out, "clauses"))
    proc = wayback("--archive", archive, "--out", str(out), "--workers", "0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (len(read(out, "policies")), len(read(out, "clauses"))) == before
    # stored snapshots are not fetched again, and unchanged outcomes are not logged again
    fetches = read(out, "fetches")
    assert (fetches.outcome == "already_stored").sum() == 0
    assert fetches.run_id.nunique() == 1


def test_every_capture_yields_each_distinct_version_once(archive: str, tmp_path: Path) -> None:
    proc = wayback(
        "--every", "capture", "--archive", archive, "--out", str(tmp_path), "--workers", "0"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path, "policies")
    versions = sorted((r.site, version_of(r.text)) for r in policies.itertuples())
    assert versions == sorted((f"{v.split('-')[0]}.example", v) for v in MARKERS)


def test_archived_redirect_is_followed_inside_the_period(archive: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("gamma.example,http://www.gamma.example/privacy.php\n")
    proc = run_cli(
        "wayback",
        "--sites",
        str(sites),
        "--from",
        "2010",
        "--to",
        "2010",
        "--archive",
        archive,
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "0",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "out", "policies")
    h1 = policies[policies.snapshot == "2010H1"].iloc[0]
    assert version_of(h1.text) == "gamma-v2"
    assert list(h1.redirects) == ["http://www.gamma.example/privacy.php"]
    assert h1.policy_url == "http://www.gamma.example/legal/privacy-notice"
    assert h1.site == "gamma.example"


def test_bad_sites_line_is_refused_with_its_number(tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("# ok\nalpha.example\nftp://bad.example/\n")
    proc = run_cli(
        "wayback",
        "--sites",
        str(sites),
        "--from",
        "2005",
        "--to",
        "2006",
        "--archive",
        "http://127.0.0.1:9",
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 2
    assert "line 3" in proc.stderr
    assert not (tmp_path / "out" / "policies").exists()


def test_scrapy_door_gives_the_same_documents(
    archive: str, half_run: tuple[Path, object], tmp_path: Path
) -> None:
    out, _ = half_run
    proc = run_scrapy(
        "crawl",
        "wayback",
        "-a",
        f"sites={FIXTURES / 'sites.txt'}",
        "-a",
        "from=2005",
        "-a",
        "to=2014",
        "-a",
        f"archive={archive}",
        "-s",
        f"OUTPUT_DIR={tmp_path}",
        "-s",
        "POLICYARCHIVE_WORKERS=0",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    key = ["site", "snapshot", "content_digest"]
    a = read(out, "policies")[key].sort_values(key).reset_index(drop=True)
    b = read(tmp_path, "policies")[key].sort_values(key).reset_index(drop=True)
    assert a.equals(b)
    # the run ends by writing the dataset card, whose configs find every part file
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card[4:].partition("\n---\n")[0])
    configs = {c["config_name"]: c["data_files"][0]["path"] for c in meta["configs"]}
    assert set(configs) >= {"policies", "clauses", "fetches"}
    for name, glob in configs.items():
        assert sorted(tmp_path.glob(glob)) == part_files(tmp_path, name) != []
    shutil.rmtree(tmp_path)
