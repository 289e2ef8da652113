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

Text is read per batch of sites (``BATCH_VERSIONS`` versions at a time), from only the row
groups that hold them (found by the light scan), so memory stays flat however large the
output directory grows; batches follow the order the files hold the sites in, so each row
group is decoded about once when a crawl wrote its sites together.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.categories import ATTRIBUTE_NAMES
from pipelines.history.changes import Clause, Version, ordered, pair_keys, site_changes
from pipelines.storage.parquet import TMP_PREFIX, DatasetWriter, fsync_dir, sha256_file
from pipelines.storage.schemas import DATASETS, HISTORY_DATASETS, POLICIES

logger = logging.getLogger(__name__)

BATCH_VERSIONS = 400
LISTING = "history.json"  # the derived datasets' files, with checksums
PairKey = tuple[str, str]


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


Location = tuple[Path, int]  # a part file and one of its row groups


def _snapshot_of(path: Path) -> str:
    return path.parent.name.removeprefix("snapshot=")


def _row_groups(
    out_dir: Path, name: str, columns: list[str]
) -> Iterator[tuple[Location, pa.Table]]:
    """Every row group of a dataset's part files, in file order, a few columns only."""
    for path in _part_files(out_dir, name):
        pf = pq.ParquetFile(path)
        for i in range(pf.num_row_groups):
            yield (path, i), pf.read_row_group(i, columns=columns)


def _policy_index(
    out_dir: Path,
) -> tuple[dict[tuple[str, str], list[_Row]], dict[str, list[Location]]]:
    """Key columns of every policy row, grouped by site and source; where each site's rows are."""
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    where: dict[str, list[Location]] = defaultdict(list)
    names = ["site", "source", "policy_id", "captured_at", "content_digest", "run_id"]
    for loc, t in _row_groups(out_dir, "policies", names):
        snapshot = _snapshot_of(loc[0])
        cols = [t.column(c).to_pylist() for c in names]
        seen: set[str] = set()
        for site, source, pid, captured, digest, run in zip(*cols, strict=True):
            groups[(site, source)].append(_Row(site, source, pid, snapshot, captured, digest, run))
            if site not in seen:
                seen.add(site)
                where[site].append(loc)
    return groups, where


def _site_locations(out_dir: Path, name: str) -> dict[str, list[Location]]:
    where: dict[str, list[Location]] = defaultdict(list)
    for loc, t in _row_groups(out_dir, name, ["site"]):
        for site in pc.unique(t.column("site")).to_pylist():
            where[site].append(loc)
    return where


@dataclass
class Index:
    expected: dict[PairKey, str]  # every pair key that should exist → its site
    versions: Counter[str]  # versions per site, sites in the order the files hold them
    where: dict[str, list[Location]]  # the policy row groups holding each site's rows


def policy_index(out_dir: Path) -> Index:
    """What the stored policies imply, from their key columns only (no text)."""
    groups, where = _policy_index(out_dir)
    expected: dict[PairKey, str] = {}
    versions: Counter[str] = Counter({site: 0 for site in where})
    for (site, _source), rows in groups.items():
        versions[site] += len(ordered(rows))
        for a, b, _ in pair_keys(rows):
            expected[(a, b)] = site
    return Index(expected, versions, where)


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


def _read(
    where: dict[str, list[Location]], sites: list[str], columns: list[str]
) -> Iterator[tuple[Path, pa.Table]]:
    """The rows of ``sites``, reading only the row groups that hold them (one at a time:
    memory follows the batch, not the dataset)."""
    wanted: dict[Path, set[int]] = defaultdict(set)
    for site in sites:
        for path, rg in where.get(site, []):
            wanted[path].add(rg)
    value_set = pa.array(sites, pa.string())
    for path in sorted(wanted):
        pf = pq.ParquetFile(path)
        present = [c for c in columns if c in pf.schema_arrow.names]
        for rg in sorted(wanted[path]):
            t = pf.read_row_group(rg, columns=present)
            yield path, t.filter(pc.is_in(t.column("site"), value_set=value_set))


def read_versions(
    sites: list[str],
    policy_where: dict[str, list[Location]],
    clause_where: dict[str, list[Location]],
) -> Iterator[list[Version]]:
    """The versions (with clauses) of ``sites``, one list per site and source."""
    by_policy: dict[str, list[Clause]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    clause_columns = ["site", "policy_id", "clause_id", "position", "text", "categories"]
    for _, t in _read(clause_where, sites, clause_columns):
        cols = [t.column(c).to_pylist() for c in clause_columns[1:]]
        for pid, cid, pos, text, cats in zip(*cols, strict=True):
            if (pid, cid) in seen:  # a re-extracted policy stores its clauses again
                continue
            seen.add((pid, cid))
            by_policy[pid].append(Clause(cid, pos, text, cats or []))
    for clauses in by_policy.values():
        clauses.sort(key=lambda c: c.position)
    groups: dict[tuple[str, str], list[Version]] = defaultdict(list)
    for path, t in _read(policy_where, sites, _version_columns()):
        snapshot = _snapshot_of(path)
        for r in t.to_pylist():
            groups[(r["site"], r["source"])].append(
                Version(
                    policy_id=r["policy_id"],
                    site=r["site"],
                    source=r["source"],
                    snapshot=snapshot,
                    captured_at=r["captured_at"],
                    content_digest=r["content_digest"],
                    text=r["text"],
                    run_id=r["run_id"],
                    simhash=r.get("simhash"),
                    categories=r["categories"] or [],
                    attributes={n: r.get(n) or [] for n in ATTRIBUTE_NAMES},
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
    index: Index,
    missing: set[PairKey],
    result: ChangesResult,
    on_progress: Callable[..., None] | None = None,
) -> set[Path]:
    """Compute and write the missing pairs; the part files written."""
    if not missing:
        return set()
    todo = {index.expected[k] for k in missing}
    sites = {s: n for s, n in index.versions.items() if s in todo}  # in file order
    result.sites = len(sites)
    clause_where = _site_locations(out_dir, "clauses")
    # two writers: every clause_changes part is in place before the changes rows naming it
    # (the changes writer never publishes on its own before close)
    # part names unique to this call (a second call in one run must not replace the first's
    # files); both datasets share the tag, which ties clause rows to their changes rows
    tag = f"{run_id}.{secrets.token_hex(3)}"
    clause_writer = DatasetWriter(out_dir, tag)
    change_writer = DatasetWriter(out_dir, tag, max_file_bytes=1 << 62)
    only = missing
    done = 0
    try:
        for batch in _batches(sites):
            if on_progress is not None:
                on_progress(done, len(sites))
            done += len(batch)
            for site_versions in read_versions(batch, index.where, clause_where):
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
    index = policy_index(out)
    kept = _prune(out, index.expected, result)
    _compute(out, run_id, index, set(index.expected) - set(kept), result)
    logger.info(
        "changes: %d pairs added (%d clause operations), %d stale rows removed",
        result.changes_added,
        result.clause_changes_added,
        result.changes_removed,
    )
    write_listing(out, run_id)
    return result


def rebuild_changes(
    out_dir: str | Path,
    run_id: str | None = None,
    on_progress: Callable[..., None] | None = None,
) -> ChangesResult:
    """Recompute both datasets from policies and clauses, replacing what is stored."""
    out = Path(out_dir)
    run_id = run_id or "changes-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    old = _part_files(out, "changes") + _part_files(out, "clause_changes")
    DatasetWriter.clean_temporaries(out)
    result = ChangesResult()
    index = policy_index(out)
    new = _compute(out, run_id, index, set(index.expected), result, on_progress)
    for path in old:
        if path not in new:  # a rebuild in the same second reuses names
            path.unlink(missing_ok=True)
    write_listing(out, run_id)
    return result


def write_listing(out: Path, run_id: str) -> dict[str, Any]:
    """Write ``OUT/history.json``: every part file of the derived datasets with its rows and
    sha256, as a run manifest lists the files a run committed. Run manifests cannot list
    these files: a later run may rewrite them. A checksum is reused while a file's size and
    mtime are the ones recorded; the listing is rewritten only when it changed."""
    path = out / LISTING
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    known = {f["path"]: f for f in previous.get("files", [])}
    files = []
    for name in HISTORY_DATASETS:
        for part in _part_files(out, name):
            rel = str(part.relative_to(out))
            st = part.stat()
            entry = known.get(rel)
            if not entry or (entry.get("size"), entry.get("mtime_ns")) != (
                st.st_size,
                st.st_mtime_ns,
            ):
                entry = {
                    "dataset": name,
                    "snapshot": _snapshot_of(part),
                    "path": rel,
                    "rows": pq.read_metadata(part).num_rows,
                    "sha256": sha256_file(part),
                    "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns,
                }
            files.append(entry)
    listing = {"datasets": list(HISTORY_DATASETS), "files": files}
    if previous.get("files") != files or previous.get("datasets") != listing["datasets"]:
        listing["updated_by"] = run_id
        listing["updated_at"] = datetime.now(UTC).isoformat()
        tmp = path.with_name(f"{TMP_PREFIX}{path.name}")
        tmp.write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(out)
    return listing
