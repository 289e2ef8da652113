"""End to end: crawls keep ``changes`` and ``clause_changes`` current, against a real pywb
replaying the fixture archive; ``policyarchive changes OUT`` rebuilds the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.storage.parquet import verify_manifest_files
from tests.crawl import read, run_cli
from tests.test_wayback_e2e import version_of

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites.txt"

pytestmark = pytest.mark.pywb


def wayback(archive: str, out: Path, start: str, end: str) -> dict[str, object]:
    proc = run_cli(
        "wayback",
        "--sites",
        str(SITES),
        "--from",
        start,
        "--to",
        end,
        "--archive",
        archive,
        "--out",
        str(out),
        "--workers",
        "1",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted((out / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[-1].read_text())  # type: ignore[no-any-return]


def rows(out: Path, name: str) -> pd.DataFrame:
    df = read(out, name)
    keys = ["from_policy_id", "to_policy_id"]
    if name == "clause_changes":
        keys += ["op", "from_clause_id", "to_clause_id"]
    return df[sorted(df.columns)].sort_values(keys).reset_index(drop=True).astype(str)


def files(out: Path) -> dict[str, int]:
    return {
        str(p.relative_to(out)): p.stat().st_mtime_ns
        for name in ("changes", "clause_changes")
        for p in (out / name).glob("*/*.parquet")
    }


def test_crawls_keep_changes_current(archive: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # two runs leave 2008–2010 out; a third fills the gap: the pair across it is superseded
    wayback(archive, out, "2005", "2007")
    wayback(archive, out, "2011", "2014")
    before = read(out, "changes")
    across = before[(before.from_snapshot < "2008") & (before.to_snapshot >= "2011")]
    assert len(across) == 4  # alpha, beta, gamma, delta: their 2007 version → 2011
    assert (across.gap_periods > 0).all()
    manifest = wayback(archive, out, "2005", "2014")
    assert manifest["counts"]["rows"]["changes"] > 0  # type: ignore[index]

    policies = read(out, "policies")
    changes = read(out, "changes")
    # one row per consecutive pair of each site's versions, none skipping a version
    per_site = policies.groupby("site").size()
    assert len(changes) == int((per_site - 1).sum())
    assert not set(across.from_policy_id + across.to_policy_id) & set(
        changes.from_policy_id + changes.to_policy_id
    )
    assert changes.groupby(["from_policy_id", "to_policy_id"]).size().max() == 1
    # the fixture's periods without a version between two with one (EXPECTED.md): alpha 2007H1
    # and 2013H1, beta 2008H2 and 2012H2, gamma 2007H2, delta 2009H1, zeta 2010H2
    assert sorted(changes.gap_periods) == [0] * (len(changes) - 7) + [1] * 7
    assert (changes.snapshot == changes.to_snapshot).all()  # partitioned by the later one
    text = dict(zip(policies.policy_id, policies.text, strict=True))
    for row in changes.itertuples():
        same = version_of(text[row.from_policy_id]) == version_of(text[row.to_policy_id])
        if same:
            assert row.kind in {"identical", "cosmetic", "date_only"}, row
        else:
            assert row.kind in {"substantive", "near_duplicate", "date_only", "revert"}, row
            assert row.words_added + row.words_removed > 0
    assert "identical" in set(changes.kind) and "substantive" in set(changes.kind)
    clause_changes = read(out, "clause_changes")
    keys = set(zip(changes.from_policy_id, changes.to_policy_id, strict=True))
    assert set(zip(clause_changes.from_policy_id, clause_changes.to_policy_id, strict=True)) <= keys
    assert set(clause_changes.op) <= {"added", "removed", "modified", "moved"}

    # a rerun stores nothing new and so writes no changes row
    stored = files(out)
    incremental = (rows(out, "changes"), rows(out, "clause_changes"))
    rerun = wayback(archive, out, "2005", "2014")
    assert rerun["counts"]["rows"]["changes"] == 0  # type: ignore[index]
    assert files(out) == stored
    listing = json.loads((out / "history.json").read_text())["files"]
    assert verify_manifest_files(out, listing) == []
    assert {f["path"] for f in listing} == set(stored)

    # the command rebuilds the same rows from policies and clauses
    proc = run_cli("changes", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"changes: {len(changes)} pairs" in proc.stdout
    pd.testing.assert_frame_equal(incremental[0], rows(out, "changes"))
    pd.testing.assert_frame_equal(incremental[1], rows(out, "clause_changes"))


def test_changes_command_refuses_a_directory_without_policies(tmp_path: Path) -> None:
    proc = run_cli("changes", str(tmp_path))
    assert proc.returncode == 2
    assert "holds no policies dataset" in proc.stderr and "Traceback" not in proc.stderr
