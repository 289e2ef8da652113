"""Small output directories for the report and dataset-card tests.

Base columns go through the project's own writer; columns that newer code adds (readability,
the ``changes`` dataset) are written with an explicit schema beside them when the schemas of
this checkout do not have them yet, as an output written by a newer version would be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.history.periods import period_of_label
from pipelines.storage.parquet import DatasetWriter
from pipelines.storage.schemas import DATASETS, TS

NEW_POLICY_FIELDS = [
    pa.field("flesch_kincaid_grade", pa.float32()),
    pa.field("flesch_reading_ease", pa.float32()),
    pa.field("smog", pa.float32()),
    pa.field("reading_minutes", pa.float32()),
    pa.field("stated_date", pa.date32()),
    pa.field("stated_date_kind", pa.string()),
]
CHANGES_READ = pa.schema(  # the columns the report reads of `changes`
    [
        pa.field("site", pa.string()),
        pa.field("source", pa.string()),
        pa.field("from_policy_id", pa.string()),
        pa.field("to_policy_id", pa.string()),
        pa.field("to_snapshot", pa.string()),
        pa.field("to_captured_at", TS),
        pa.field("kind", pa.string()),
        pa.field("words_added", pa.int32()),
        pa.field("words_removed", pa.int32()),
    ]
)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def policy_row(
    site: str,
    snapshot: str,
    text: str,
    *,
    laws: Iterable[str] = (),
    categories: Iterable[str] = ("Other",),
    run_id: str = "r1",
    **extra: Any,
) -> dict[str, Any]:
    period = period_of_label(snapshot)
    assert period is not None, snapshot
    words = text.split()
    return {
        "policy_id": digest(f"{site}|{snapshot}|{text}")[:20],
        "site": site,
        "policy_url": f"http://{site}/privacy",
        "source": "wayback",
        "captured_at": period.midpoint,
        "archive_url": None,
        "http_status": 200,
        "content_digest": digest(f"{site}|{snapshot}|{text}"),
        "cdx_digest": None,
        "text_digest": digest(" ".join(words)),
        "title": "Privacy",
        "language": "en",
        "text": text,
        "word_count": len(words),
        "policy_score": 0.9,
        "policy_reason": "test",
        "homepage_url": None,
        "discovered_by": "explicit",
        "redirects": [],
        "clause_count": 1,
        "categories": list(categories),
        "laws": list(laws),
        "run_id": run_id,
        **extra,
    }


def fetch_row(site: str, outcome: str = "ok", run_id: str = "r1") -> dict[str, Any]:
    return {
        "site": site,
        "url": f"http://{site}/privacy",
        "kind": "policy",
        "source": "wayback",
        "outcome": outcome,
        "http_status": 200 if outcome == "ok" else None,
        "detail": "",
        "archive_url": None,
        "captured_at": None,
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
        "run_id": run_id,
    }


def write_rows(
    out: Path, dataset: str, rows: list[tuple[str, dict[str, Any]]], run_id: str = "r1"
) -> None:
    """(snapshot, row) pairs into ``out``: with the project's writer when the schema knows
    every key, else one part per snapshot with the schema extended by the new fields."""
    schema = DATASETS[dataset]
    keys = {k for _, row in rows for k in row}
    # columns other branches add as required get a neutral value (this test is not about them)
    defaults = {f.name: _neutral(f.type) for f in schema if not f.nullable and f.name not in keys}
    rows = [(snapshot, {**defaults, **row}) for snapshot, row in rows]
    if keys <= set(schema.names):
        writer = DatasetWriter(out, run_id)
        for snapshot, row in rows:
            writer.add(dataset, snapshot, row)
        writer.close()
        return
    for field in NEW_POLICY_FIELDS:
        if field.name in keys and field.name not in schema.names:
            schema = schema.append(field)
    by_snapshot: dict[str, list[dict[str, Any]]] = {}
    for snapshot, row in rows:
        by_snapshot.setdefault(snapshot, []).append(row)
    for snapshot, group in by_snapshot.items():
        part = out / dataset / f"snapshot={snapshot}" / f"part-{run_id}-00000.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(group, schema=schema), part)


def _neutral(t: pa.DataType) -> Any:
    if pa.types.is_string(t):
        return ""
    if pa.types.is_boolean(t):
        return False
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return 0
    if pa.types.is_list(t):
        return []
    if pa.types.is_timestamp(t):
        return datetime(2000, 1, 1, tzinfo=UTC)
    return None


def write_changes(out: Path, rows: list[dict[str, Any]], run_id: str = "r1") -> None:
    by_snapshot: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_snapshot.setdefault(row["to_snapshot"], []).append(row)
    for snapshot, group in by_snapshot.items():
        part = out / "changes" / f"snapshot={snapshot}" / f"part-{run_id}-00000.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(group, schema=CHANGES_READ), part)


def stated(day: date) -> dict[str, Any]:
    return {"stated_date": day, "stated_date_kind": "updated"}
