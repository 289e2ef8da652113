"""Explicit pyarrow schemas for every dataset we write.

The ``snapshot`` partition column is not stored inside the files: it comes back from the
hive directory name (``snapshot=2009H2``) when a reader opens the dataset directory.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.categories import ATTRIBUTE_NAMES, CATEGORIES, category_field_name

TS = pa.timestamp("ms", tz="UTC")  # Parquet has no seconds unit
STRLIST = pa.list_(pa.string())

CATEGORY_PROBS = pa.struct([pa.field(category_field_name(c), pa.float32()) for c in CATEGORIES])

# Attribute columns shared by clauses (per clause) and policies (union over clauses).
ATTRIBUTE_FIELDS: list[pa.Field] = [
    pa.field(name, pa.list_(pa.int32()) if name == "retention_days" else STRLIST)
    for name in ATTRIBUTE_NAMES
]

POLICIES = pa.schema(
    [
        pa.field("policy_id", pa.string(), nullable=False),
        pa.field("site", pa.string(), nullable=False),
        pa.field("policy_url", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("captured_at", TS, nullable=False),
        pa.field("archive_url", pa.string()),
        pa.field("http_status", pa.int16()),
        pa.field("content_digest", pa.string(), nullable=False),
        pa.field("cdx_digest", pa.string()),
        pa.field("text_digest", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("language", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("policy_score", pa.float32(), nullable=False),
        pa.field("policy_reason", pa.string()),
        pa.field("homepage_url", pa.string()),
        pa.field("discovered_by", pa.string()),
        pa.field("redirects", STRLIST),
        pa.field("clause_count", pa.int32(), nullable=False),
        pa.field("categories", STRLIST),
        *ATTRIBUTE_FIELDS,
        pa.field("declared_language", pa.string()),  # what the page said (html lang, /Lang)
        pa.field("content_type", pa.string()),  # text/html | application/pdf
        pa.field("labels", pa.string()),  # ok | english_only | none: why categories are empty
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

CLAUSES = pa.schema(
    [
        pa.field("policy_id", pa.string(), nullable=False),
        pa.field("clause_id", pa.string(), nullable=False),
        pa.field("site", pa.string(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("heading_path", STRLIST),
        pa.field("kind", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("categories", STRLIST),
        pa.field("category_probs", CATEGORY_PROBS),
        *ATTRIBUTE_FIELDS,
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

FETCHES = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("http_status", pa.int16()),
        pa.field("detail", pa.string()),
        pa.field("archive_url", pa.string()),
        pa.field("captured_at", TS),
        pa.field("fetched_at", TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

DATASETS: dict[str, pa.Schema] = {"policies": POLICIES, "clauses": CLAUSES, "fetches": FETCHES}
