"""The changes between versions (pure): every kind, clause operations, simhash, and the
incremental maintenance of the datasets against a rebuild (on Parquet written here)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.history.changes import (
    Clause,
    Version,
    gap_periods,
    match_clauses,
    ordered,
    site_changes,
)
from pipelines.history.maintain import rebuild_changes, update_changes
from pipelines.history.simhash import distance, simhash
from pipelines.storage.parquet import DatasetWriter, verify_manifest_files
from pipelines.storage.schemas import CHANGES, CLAUSE_CHANGES

PARAS = [
    "We collect your name, e-mail address and postal address when you register an account.",
    "We use cookies and similar technologies to remember your preferences on our site.",
    "We share personal information with service providers who process it on our behalf.",
    "You may ask us to access, correct or delete the personal information we hold.",
    "We keep your information for as long as your account is open and then delete it.",
    "We protect your information with encryption and access controls in our systems.",
    "Children under thirteen may not use the service and we do not knowingly collect data.",
    "Questions about this policy can be sent to our privacy team at the address below.",
]
HEADER = "Last updated: March 3, 2018"


def clauses(paras: list[str], pid: str) -> list[Clause]:
    return [Clause(f"{pid}-{i:04d}", i, p, [f"cat{i % 3}"]) for i, p in enumerate(paras)]


def version(
    pid: str,
    when: str,
    paras: list[str],
    *,
    header: str = HEADER,
    sep: str = "\n\n",
    digest: str | None = None,
    snapshot: str | None = None,
    run_id: str = "r1",
    **extra: Any,
) -> Version:
    captured = datetime.fromisoformat(when).replace(tzinfo=UTC)
    snap = snapshot or f"{captured.year}H{1 if captured.month <= 6 else 2}"
    parts = [header, *paras]
    return Version(
        policy_id=pid,
        site="a.example",
        source="wayback",
        snapshot=snap,
        captured_at=captured,
        content_digest=digest or f"sha1:{pid}",
        text=sep.join(parts),
        run_id=run_id,
        clauses=clauses(parts, pid),
        **extra,
    )


def kinds(versions: list[Version]) -> list[str]:
    return [row["kind"] for row, _ in site_changes(versions)]


def test_every_kind() -> None:
    v = [
        version("p1", "2010-02-01", PARAS),
        version("p2", "2010-08-01", PARAS),  # same text
        version("p3", "2011-02-01", PARAS, sep="\n\n\n  "),  # other whitespace
        version("p4", "2011-08-01", PARAS, header="Last updated: June 1, 2020"),
        version("p5", "2012-02-01", PARAS[:3] + ["We never sell your data."] + PARAS[3:]),
        version("p6", "2012-08-01", PARAS, header="Last updated: June 1, 2020"),  # back to p4
        version("p7", "2013-02-01", [p.replace("We ", "Acme ") for p in PARAS[:5]]),
    ]
    assert kinds(v) == [
        "identical",
        "cosmetic",
        "date_only",
        "substantive",
        "revert",
        "substantive",
    ]


def test_near_duplicate_and_reextracted() -> None:
    long = PARAS * 6
    a = version("p1", "2010-02-01", long)
    b = version("p2", "2010-08-01", long[:-1] + [long[-1].replace("privacy", "data")])
    again = version("p2", "2010-08-01", b.text.split("\n\n")[1:], digest=b.content_digest)
    again.run_id = "r2"
    (row,) = [r for r, _ in site_changes([a, b])]
    assert row["kind"] == "near_duplicate" and row["simhash_distance"] <= 3
    assert row["words_added"] == 1 and row["words_removed"] == 1
    # the same capture extracted again (another run): never a policy change
    rows = [r for r, _ in site_changes([a, b, again])]
    assert [r["kind"] for r in rows] == ["near_duplicate", "reextracted"]
    # a version stored three times keeps its first and last row: pair keys stay unique
    third = version("p2", "2010-08-01", b.text.split("\n\n")[1:], digest=b.content_digest)
    third.run_id = "r3"
    assert [(x.policy_id, x.run_id) for x in ordered([again, third, b, a])] == [
        ("p1", "r1"),
        ("p2", "r1"),
        ("p2", "r3"),
    ]


def test_change_row_columns() -> None:
    a = version("p1", "2010-02-01", PARAS, categories=["A", "B"], attributes={"laws": ["GDPR"]})
    b = version(
        "p2",
        "2012-02-01",
        PARAS + ["New paragraph about the CCPA."],
        categories=["B", "C"],
        attributes={"laws": ["CCPA", "GDPR"]},
    )
    (row, ops), *_ = site_changes([a, b])
    assert set(row) == set(CHANGES.names)
    assert row["gap_periods"] == 3  # 2010H2, 2011H1, 2011H2 hold no version
    assert row["categories_gained"] == ["C"] and row["categories_lost"] == ["A"]
    assert row["laws_gained"] == ["CCPA"] and row["laws_lost"] == []
    assert row["words_added"] == 5 and row["words_removed"] == 0
    assert row["clauses_added"] == 1 and row["clauses_unchanged"] == len(PARAS) + 1
    assert [op["op"] for op in ops] == ["added"]
    assert set(ops[0]) == set(CLAUSE_CHANGES.names)


def test_inserted_paragraph_is_one_added() -> None:
    old = clauses(PARAS, "o")
    new = clauses(PARAS[:2] + ["A brand new paragraph on advertising partners."] + PARAS[2:], "n")
    ops, unchanged = match_clauses(old, new)
    assert [(o.op, o.new.clause_id if o.new else None) for o in ops] == [("added", "n-0002")]
    assert unchanged == len(PARAS)


def test_removed_modified_moved() -> None:
    old = clauses(PARAS, "o")
    edited = PARAS[1].replace("preferences", "settings and preferences")
    new = clauses([PARAS[7], PARAS[0], edited, PARAS[2], PARAS[3], PARAS[5], PARAS[6]], "n")
    ops, unchanged = match_clauses(old, new)
    got = {
        (o.op, o.old.clause_id if o.old else None, o.new.clause_id if o.new else None) for o in ops
    }
    assert got == {
        ("moved", "o-0007", "n-0000"),
        ("modified", "o-0001", "n-0002"),
        ("removed", "o-0004", None),
    }
    modified = next(o for o in ops if o.op == "modified")
    assert 0.5 <= modified.similarity < 1
    assert unchanged == 5


def test_split_and_merge_are_modified() -> None:
    long = PARAS[2] + " " + PARAS[3]
    old = clauses([PARAS[0], long, PARAS[5]], "o")
    new = clauses([PARAS[0], PARAS[2], PARAS[3], PARAS[5]], "n")
    ops, _ = match_clauses(old, new)
    assert sorted((o.op, o.old.clause_id, o.new.clause_id) for o in ops) == [
        ("modified", "o-0001", "n-0001"),
        ("modified", "o-0001", "n-0002"),
    ]
    merged, _ = match_clauses(new, old)  # the other way round: a merge
    assert sorted((o.op, o.old.clause_id, o.new.clause_id) for o in merged) == [
        ("modified", "n-0001", "o-0001"),
        ("modified", "n-0002", "o-0001"),
    ]


def test_huge_policies_stay_bounded() -> None:
    old = clauses([f"clause {i} about topic {i * 7} and item {i * 13}" for i in range(3000)], "o")
    new = clauses(
        [f"clause {i} about subject {i * 7} and thing {i * 11}" for i in range(3000)], "n"
    )
    ops, _ = match_clauses(old, new)  # windowed: finishes in well under a second
    assert len(ops) >= 3000


def test_simhash_ignores_dates_numbers_urls() -> None:
    text = "\n".join(PARAS)
    base = simhash(f"Last updated: March 3, 2018. {text} Write to privacy@acme.com")
    assert base == simhash(f"Last updated: June 1, 2021. {text} Write to dpo@acme.org")
    iso = simhash(f"Last updated: 2018-03-03. {text} Write to privacy@acme.com")
    assert iso == simhash(f"LAST UPDATED: 2021-06-01. {text}  write to x@y.com")
    assert distance(base, iso) <= 3
    assert 0 < distance(base, simhash(text.replace("cookies", "beacons"))) <= 10
    assert distance(base, simhash("An entirely different text about the weather.")) > 10
    assert -(2**63) <= base < 2**63


def test_gap_periods() -> None:
    assert gap_periods("2010H1", "2010H2") == 0
    assert gap_periods("2010H2", "2012H1") == 2
    assert gap_periods("2010", "2013") == 2
    assert gap_periods("20100101000000", "20110801000000") == 2
    assert gap_periods("2010H1", "2010") is None


# -- maintenance on real Parquet ------------------------------------------------------------


def policy_row(v: Version) -> dict[str, Any]:
    return {
        "policy_id": v.policy_id,
        "site": v.site,
        "policy_url": "https://a.example/privacy",
        "source": v.source,
        "captured_at": v.captured_at,
        "content_digest": v.content_digest,
        "text_digest": "x",
        "text": v.text,
        "word_count": len(v.text.split()),
        "policy_score": 1.0,
        "clause_count": len(v.clauses),
        "categories": v.categories,
        "simhash": None,
        "run_id": v.run_id,
    }


def write_versions(out: Path, run_id: str, versions: list[Version]) -> None:
    w = DatasetWriter(out, run_id)
    for v in versions:
        w.add("policies", v.snapshot, policy_row(v))
        for c in v.clauses:
            w.add(
                "clauses",
                v.snapshot,
                {
                    "policy_id": v.policy_id,
                    "clause_id": c.clause_id,
                    "site": v.site,
                    "position": c.position,
                    "text": c.text,
                    "categories": c.categories,
                    "run_id": run_id,
                },
            )
    w.close()


def assert_listed(out: Path) -> None:
    """history.json vouches for every part file of the derived datasets, and only those."""
    files = json.loads((out / "history.json").read_text())["files"]
    assert verify_manifest_files(out, files) == []
    on_disk = {
        str(p.relative_to(out))
        for name in ("changes", "clause_changes")
        for p in (out / name).glob("*/part-*.parquet")
    }
    assert {f["path"] for f in files} == on_disk


def table(out: Path, name: str) -> pd.DataFrame:
    df = pd.read_parquet(out / name)
    df["snapshot"] = df["snapshot"].astype(str)
    keys = ["from_policy_id", "to_policy_id"] + (["op", "from_clause_id"] if "op" in df else [])
    cols = sorted(df.columns)
    return df[cols].sort_values(keys).reset_index(drop=True).astype(str)


@pytest.fixture
def history() -> list[Version]:
    return [
        version("p1", "2010-02-01", PARAS),
        version("p2", "2011-02-01", PARAS + ["A paragraph on new partners."]),
        version("p3", "2012-02-01", PARAS, header="Last updated: May 1, 2012"),
        version("p4", "2013-02-01", PARAS),
    ]


def test_incremental_equals_rebuild_and_gap_filled(tmp_path: Path, history: list[Version]) -> None:
    out = tmp_path / "out"
    write_versions(out, "run1", [history[0], history[2]])
    first = update_changes(out, "run1")
    assert first.changes_added == 1
    assert update_changes(out, "run1b").changes_added == 0  # a rerun adds nothing
    # an archive run fills the gap and adds a later version: the old pair is superseded
    write_versions(out, "run2", [history[1], history[3]])
    second = update_changes(out, "run2")
    assert (second.changes_added, second.changes_removed) == (3, 1)
    changes = table(out, "changes")
    assert list(zip(changes.from_policy_id, changes.to_policy_id, strict=True)) == [
        ("p1", "p2"),
        ("p2", "p3"),
        ("p3", "p4"),
    ]
    assert list(changes.kind) == ["substantive", "substantive", "revert"]
    assert list(changes.snapshot) == ["2011H1", "2012H1", "2013H1"]
    incremental = (changes, table(out, "clause_changes"))
    assert_listed(out)
    result = rebuild_changes(out)
    assert_listed(out)
    assert result.changes_added == 3
    pd.testing.assert_frame_equal(incremental[0], table(out, "changes"))
    pd.testing.assert_frame_equal(incremental[1], table(out, "clause_changes"))
    # a rebuild killed before it removed the old files leaves two copies of every row: the
    # next update keeps one
    for name in ("changes", "clause_changes"):
        for part in list((out / name).glob("*/part-*.parquet")):
            shutil.copy(part, part.with_name(part.name.replace("part-", "part-zcopy-")))
    assert len(pd.read_parquet(out / "changes")) == 6
    healed = update_changes(out, "run4")
    assert (healed.changes_added, healed.changes_removed) == (0, 3)
    assert_listed(out)
    pd.testing.assert_frame_equal(incremental[0], table(out, "changes"))
    pd.testing.assert_frame_equal(incremental[1], table(out, "clause_changes"))
