"""Keep the ``changes`` and ``clause_changes`` datasets equal to what the policies imply.

Design (docs/changes.md): both datasets are *derived*. A ``changes`` row is identified by its
pair key ``(from_policy_id, to_policy_id)``; the set of keys that should exist follows from a
light scan of ``policies`` (site, source, policy_id, snapshot, captured_at, content_digest,
run_id: no text). :func:`update_changes` compares that set with the keys stored and

1. drops stored rows whose pair is no longer consecutive (an archive run filled a gap
   between two versions) or is stored twice, and ``clause_changes`` rows whose pair has no
   ``changes`` row: each affected part file is rewritten without them (temporary + rename);
2. computes the missing pairs, site by site (all of a site's versions are read, only the
   missing pairs compared), and writes them as new part files: ``clause_changes`` first,
   then ``changes``, so a ``changes`` row is visible only once its clause rows are.

A kill at any point leaves only whole files; the next crawl (or ``policyarchive changes``)
finds the difference again and finishes the job. After a crawl the missing pairs are
exactly those of the sites it stored versions for, so a rerun that stores nothing writes
nothing. :func:`rebuild_changes` recomputes everything into fresh files, then removes the old
ones; its rows equal those incremental maintenance leaves.

Text is read per batch of sites (``BATCH_VERSIONS`` versions at a time, pyarrow filters on
``site``), so memory stays flat however large the output directory grows.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.categories import ATTRIBUTE_NAMES
from pipelines.history.changes import Clause, Version, ordered, pair_keys, site_changes
from pipelines.storage.parquet import TMP_PREFIX, DatasetWriter, fsync_dir
from pipelines.storage.schemas import DATASETS, POLICIES

logger = logging.getLogger(__name__)

BATCH_VERSIONS = 400
PairKey = tuple[str, str]
_PARTITIONING = ds.partitioning(pa.schema([("snapshot", pa.string())]), flavor="hive")
_KEY_COLUMNS = ["site", "source", "policy_id", "snapshot", "captured_at", "content_digest"]


class _Row(NamedTuple):
    site: str
    source: str
    policy_id: str
    snapshot: str
    captured_at: datetime
    content_digest: str
    run_id: str


@dataclass
class ChangesResult:
    changes_added: int = 0
    clause_changes_added: int = 0
    changes_removed: int = 0
    clause_changes_removed: int = 0
    sites: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


def open_dataset(out_dir: Path, name: str) -> ds.Dataset | None:
    base = Path(out_dir) / name
    if not base.is_dir():
        return None
    schema = DATASETS[name].append(pa.field("snapshot", pa.string()))
    # an explicit schema: files written before a column existed read it as null
    return ds.dataset(base, format="parquet", schema=schema, partitioning=_PARTITIONING)


def _policy_index(out_dir: Path) -> dict[tuple[str, str], list[_Row]]:
    dataset = open_dataset(out_dir, "policies")
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    if dataset is None:
        return groups
    table = dataset.to_table(columns=[*_KEY_COLUMNS, "run_id"])
    cols = [table.column(c).to_pylist() for c in [*_KEY_COLUMNS, "run_id"]]
    for values in zip(*cols, strict=True):
        row = _Row(*values)
        groups[(row.site, row.source)].append(row)
    return groups


def expected_pairs(out_dir: Path) -> tuple[dict[PairKey, str], dict[tuple[str, str], int]]:
    """Every pair key that should exist → its site; and the number of versions per site."""
    expected: dict[PairKey, str] = {}
    versions: dict[tuple[str, str], int] = {}
    for (site, source), rows in _policy_index(out_dir).items():
        versions[(site, source)] = len(ordered(rows))
        for a, b, _ in pair_keys(rows):
            expected[(a, b)] = site
    return expected, versions


def _part_files(out_dir: Path, name: str) -> list[Path]:
    base = Path(out_dir) / name
    return sorted(base.glob("snapshot=*/part-*.parquet")) if base.is_dir() else []


def _file_keys(path: Path) -> list[PairKey]:
    t = pq.read_table(path, columns=["from_policy_id", "to_policy_id"])
    return list(
        zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True)  # type: ignore[arg-type]
    )


def _rewrite_keeping(path: Path, keep: list[bool], schema: pa.Schema) -> None:
    """Replace a part file by its rows where ``keep`` (removed when none are left)."""
    if not any(keep):
        path.unlink()
        fsync_dir(path.parent)
        return
    table = pq.read_table(path, schema=schema).filter(pa.array(keep))
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}")
    pq.write_table(table, tmp, compression="zstd")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _run_of(path: Path) -> str:
    """The run id in a part's name, ``part-<run_id>-<seq>.parquet``."""
    return path.stem.removeprefix("part-").rsplit("-", 1)[0]


def _prune(
    out_dir: Path, expected: dict[PairKey, str], result: ChangesResult
) -> dict[PairKey, str]:
    """Drop stale and duplicate rows; the pair keys that stay stored."""
    kept: dict[PairKey, str] = {}  # → the run that wrote the row
    for path in _part_files(out_dir, "changes"):
        keep = []
        for key in _file_keys(path):
            ok = key in expected and key not in kept
            keep.append(ok)
            if ok:
                kept[key] = _run_of(path)
        if not all(keep):
            result.changes_removed += keep.count(False)
            _rewrite_keeping(path, keep, DATASETS["changes"])
    for path in _part_files(out_dir, "clause_changes"):
        # a pair's clause rows count only from the run that wrote its changes row (a rebuild
        # killed before it removed the old files leaves two copies)
        run = _run_of(path)
        keep = [kept.get(key) == run for key in _file_keys(path)]
        if not all(keep):
            result.clause_changes_removed += keep.count(False)
            _rewrite_keeping(path, keep, DATASETS["clause_changes"])
    return kept


def _version_columns() -> list[str]:
    cols = [
        "policy_id",
        "site",
        "source",
        "snapshot",
        "captured_at",
        "content_digest",
        "text",
        "run_id",
        "simhash",
        "categories",
        *ATTRIBUTE_NAMES,
    ]
    if "stated_date" in POLICIES.names:  # added by the readability/stated-date work
        cols.append("stated_date")
    return cols


def _read(dataset: ds.Dataset, columns: list[str], wanted: ds.Expression) -> pa.Table:
    # one fragment and batch at a time: the default read-ahead holds many decoded text row
    # groups in flight, and memory would grow with the dataset instead of the batch
    scanner = dataset.scanner(
        columns=columns,
        filter=wanted,
        use_threads=False,
        batch_readahead=1,
        fragment_readahead=1,
    )
    return scanner.to_table()


def read_versions(out_dir: Path, sites: list[str]) -> Iterator[list[Version]]:
    """The versions (with clauses) of ``sites``, one list per site and source."""
    policies = open_dataset(out_dir, "policies")
    if policies is None or not sites:
        return
    clauses = open_dataset(out_dir, "clauses")
    wanted = ds.field("site").isin(sites)
    table = _read(policies, _version_columns(), wanted)
    by_policy: dict[str, list[Clause]] = defaultdict(list)
    if clauses is not None:
        ct = _read(clauses, ["policy_id", "clause_id", "position", "text", "categories"], wanted)
        ct = ct.take(pc.sort_indices(ct, [("policy_id", "ascending"), ("position", "ascending")]))
        cols = [ct.column(i).to_pylist() for i in range(ct.num_columns)]
        seen: set[tuple[str, str]] = set()
        for pid, cid, pos, text, cats in zip(*cols, strict=True):
            if (pid, cid) in seen:  # a re-extracted policy stores its clauses again
                continue
            seen.add((pid, cid))
            by_policy[pid].append(Clause(cid, pos, text, cats or []))
    groups: dict[tuple[str, str], list[Version]] = defaultdict(list)
    for r in table.to_pylist():
        groups[(r["site"], r["source"])].append(
            Version(
                policy_id=r["policy_id"],
                site=r["site"],
                source=r["source"],
                snapshot=r["snapshot"],
                captured_at=r["captured_at"],
                content_digest=r["content_digest"],
                text=r["text"],
                run_id=r["run_id"],
                simhash=r["simhash"],
                categories=r["categories"] or [],
                attributes={n: r[n] or [] for n in ATTRIBUTE_NAMES},
                stated_date=r.get("stated_date"),
                clauses=by_policy.get(r["policy_id"], []),
            )
        )
    yield from groups.values()


def _batches(sites: dict[str, int], limit: int = BATCH_VERSIONS) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for site, n in sites.items():
        if batch and size + n > limit:
            yield batch
            batch, size = [], 0
        batch.append(site)
        size += n
    if batch:
        yield batch


def _compute(
    out_dir: Path,
    run_id: str,
    missing: dict[PairKey, str],
    versions: dict[tuple[str, str], int],
    result: ChangesResult,
) -> set[Path]:
    """Compute and write the missing pairs; the part files written."""
    if not missing:
        return set()
    per_site: Counter[str] = Counter()
    for (site, _source), n in versions.items():
        per_site[site] += n
    sites = {s: per_site[s] for s in sorted(set(missing.values()))}
    result.sites = len(sites)
    # two writers: every clause_changes part is in place before the changes rows naming it
    # (the changes writer never publishes on its own before close)
    clause_writer = DatasetWriter(out_dir, run_id)
    change_writer = DatasetWriter(out_dir, run_id, max_file_bytes=1 << 62)
    only = set(missing)
    try:
        for batch in _batches(sites):
            for site_versions in read_versions(out_dir, batch):
                for row, clause_rows in site_changes(site_versions, only=only):
                    for c in clause_rows:
                        clause_writer.add("clause_changes", row["to_snapshot"], c)
                    change_writer.add("changes", row["to_snapshot"], row)
                    result.kinds[row["kind"]] += 1
        clause_writer.close()
        change_writer.close()
    except BaseException:
        clause_writer.abort()
        change_writer.abort()
        raise
    result.changes_added = change_writer.row_counts["changes"]
    result.clause_changes_added = clause_writer.row_counts["clause_changes"]
    return {out_dir / c.path for c in clause_writer.committed + change_writer.committed}


def update_changes(out_dir: str | Path, run_id: str) -> ChangesResult:
    """Bring both datasets up to date with the policies (see the module docstring)."""
    out = Path(out_dir)
    result = ChangesResult()
    expected, versions = expected_pairs(out)
    kept = _prune(out, expected, result)
    missing = {k: s for k, s in expected.items() if k not in kept}
    _compute(out, run_id, missing, versions, result)
    logger.info(
        "changes: %d pairs added (%d clause operations), %d stale rows removed",
        result.changes_added,
        result.clause_changes_added,
        result.changes_removed,
    )
    return result


def rebuild_changes(out_dir: str | Path, run_id: str | None = None) -> ChangesResult:
    """Recompute both datasets from policies and clauses, replacing what is stored."""
    out = Path(out_dir)
    run_id = run_id or "changes-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    old = _part_files(out, "changes") + _part_files(out, "clause_changes")
    DatasetWriter.clean_temporaries(out)
    result = ChangesResult()
    expected, versions = expected_pairs(out)
    new = _compute(out, run_id, expected, versions, result)
    for path in old:
        if path not in new:  # a rebuild in the same second reuses names
            path.unlink(missing_ok=True)
    return result
