"""``policyarchive reextract OUT``: the document path again over the stored WARC records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.process import make_policy_id
from pipelines.storage.warcbuild import build_warc, load_spec
from tests.crawl import read, run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def ingest(warc: Path, out: Path) -> None:
    sites = str(FIXTURES / "sites.txt")
    args = [str(warc), "--sites", sites, "--from", "2005", "--to", "2014", "--out", str(out)]
    proc = run_cli("ingest", *args, "--workers", "0")
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def reextracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    work = tmp_path_factory.mktemp("reextract")
    warc = work / "fixtures.warc.gz"
    build_warc(load_spec(FIXTURES / "archive" / "spec.json"), warc)
    ingest(warc, work / "out")
    proc = run_cli("reextract", str(work / "out"), "--workers", "0")
    return work / "out", warc, proc


def test_a_new_run_of_marked_rows(reextracted: tuple[Path, Path, object]) -> None:
    out, _, proc = reextracted
    assert proc.returncode == 0, proc.stderr[-3000:]  # type: ignore[attr-defined]
    policies = read(out, "policies")
    original, again = policies[~policies.reextracted], policies[policies.reextracted]
    assert len(original) == 76 and len(again) == 76
    assert again.run_id.nunique() == 1 and set(again.run_id).isdisjoint(original.run_id)
    cols = ["site", "snapshot", "source", "captured_at", "content_digest", "text_digest"]
    assert set(map(tuple, again[cols].values.tolist())) == set(
        map(tuple, original[cols].values.tolist())
    )  # the same captures, the same text (nothing changed in the extraction)
    # their own ids, so clauses join one to one; the original's id is still derivable
    assert policies.policy_id.is_unique
    for row in again.itertuples():
        orig = make_policy_id(row.site, row.snapshot, row.source, row.content_digest)
        assert orig in set(original.policy_id) and orig != row.policy_id
    clauses = read(out, "clauses")
    assert clauses.clause_id.is_unique and set(clauses.policy_id) == set(policies.policy_id)
    manifests = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    run = next(m for m in manifests if m["spider"] == "reextract")
    assert run["status"] == "complete" and run["counts"]["rows"]["policies"] == 76
    fetches = read(out, "fetches")
    mine = fetches[fetches.run_id == run["run_id"]]
    assert set(mine.kind) == {"policy"} and set(mine.outcome) == {"ok"}  # nothing fetched


def test_a_normal_rerun_adds_nothing(reextracted: tuple[Path, Path, object]) -> None:
    out, warc, _ = reextracted
    before = len(read(out, "policies"))
    ingest(warc, out)
    assert len(read(out, "policies")) == before


def test_a_missing_warc_is_a_reason_per_document(
    reextracted: tuple[Path, Path, object], tmp_path: Path
) -> None:
    out, warc, _ = reextracted
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    moved = warc.with_suffix(".moved")
    warc.rename(moved)
    try:
        proc = run_cli("reextract", str(copy), "--workers", "0")
    finally:
        moved.rename(warc)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fetches = read(copy, "fetches")
    assert (fetches.outcome == "warc_unreadable").sum() == 76
    assert fetches[fetches.outcome == "warc_unreadable"].warc_offset.notna().all()


def test_nothing_stored_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("reextract", str(tmp_path))
    assert proc.returncode == 2 and "no policies dataset" in proc.stderr
