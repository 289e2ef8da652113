"""Read a few columns of a dataset written by any mix of runs.

Parts written before a column existed lack it: the schema is unified over every part (a
missing column reads as null), and the ``snapshot`` partition comes back as a string, so
``2009`` or a 14-digit capture label is never turned into an integer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.storage.parquet import TMP_PREFIX

logger = logging.getLogger(__name__)

PART_GLOB = "*/part-*.parquet"  # <dataset>/snapshot=<label>/part-<run_id>-<seq>.parquet


def part_files(out_dir: str | Path, dataset: str) -> list[Path]:
    """Committed part files of one dataset (temporaries of a running or killed run left out)."""
    base = Path(out_dir) / dataset
    if not base.is_dir():
        return []
    return sorted(p for p in base.glob(PART_GLOB) if not p.name.startswith(TMP_PREFIX))


def snapshot_of(path: Path) -> str:
    """``…/snapshot=2009H2/part-….parquet`` → ``2009H2``."""
    return path.parent.name.partition("=")[2]


def unified_schema(files: Iterable[Path]) -> pa.Schema:
    """One schema over every part: columns added by later versions are kept (null elsewhere)."""
    schemas = [pq.read_schema(f) for f in files]
    return pa.unify_schemas(schemas, promote_options="permissive")


def read_columns(out_dir: str | Path, dataset: str, columns: Iterable[str]) -> pa.Table | None:
    """The named columns that exist (plus ``snapshot`` as a string); None without any part.

    Asking for a column no part has is not an error: it is left out, and the caller looks
    at ``table.column_names`` to say what could not be computed.
    """
    files = part_files(out_dir, dataset)
    if not files:
        return None
    schema = unified_schema(files)
    wanted = [c for c in dict.fromkeys(columns) if c in schema.names and c != "snapshot"]
    fields = [schema.field(c) for c in wanted] + [pa.field("snapshot", pa.string())]
    dataset_ = ds.dataset(
        [str(f) for f in files],
        schema=pa.schema(fields),
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("snapshot", pa.string())]), flavor="hive"),
        partition_base_dir=str(Path(out_dir) / dataset),
    )
    return dataset_.to_table(columns=[*wanted, "snapshot"])
