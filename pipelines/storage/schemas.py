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
        pa.field("simhash", pa.int64()),  # pipelines/history/simhash.py
        pa.field("warc_filename", pa.string()),
        pa.field("warc_offset", pa.int64()),
        pa.field("reextracted", pa.bool_()),
        # whose capture: "ia", "commoncrawl", "memento:<host>" or a Wayback base URL; null live
        pa.field("archive", pa.string()),
        pa.field("declared_language", pa.string()),  # what the page said (html lang, /Lang)
        pa.field("content_type", pa.string()),  # text/html | application/pdf
        pa.field("labels", pa.string()),  # ok | english_only | none: why categories are empty
        # readability of the prose (pipelines/text/readability.py); null under 100 prose words
        pa.field("flesch_kincaid_grade", pa.float32()),
        pa.field("flesch_reading_ease", pa.float32()),
        pa.field("smog", pa.float32()),
        pa.field("reading_minutes", pa.float32()),  # word_count / 250 (always set by process_page)
        # the date the text states for itself (pipelines/text/stated_date.py); null if none
        pa.field("stated_date", pa.date32()),
        pa.field("stated_date_kind", pa.string()),  # updated | revised | effective | created
        # what kind of document the page is (pipelines/text/doctype.py): privacy_policy, or
        # cookie_policy when cookie policies were asked for; its probability and a reason
        pa.field("document_type", pa.string()),
        pa.field("document_type_score", pa.float32()),
        pa.field("document_type_reason", pa.string()),
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
        pa.field("warc_filename", pa.string()),
        pa.field("warc_offset", pa.int64()),
        # the type a processed page was taken for (stored or refused); null when not classified
        pa.field("document_type", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)


def _attribute_change_fields() -> list[pa.Field]:
    out = []
    for f in ATTRIBUTE_FIELDS:
        out += [pa.field(f"{f.name}_gained", f.type), pa.field(f"{f.name}_lost", f.type)]
    return out


# Derived from policies + clauses (pipelines/history/): one row per consecutive pair of a
# site's versions, partitioned by the later version's snapshot.
CHANGES = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("from_policy_id", pa.string(), nullable=False),
        pa.field("to_policy_id", pa.string(), nullable=False),
        pa.field("from_snapshot", pa.string(), nullable=False),
        pa.field("to_snapshot", pa.string(), nullable=False),
        pa.field("from_captured_at", TS, nullable=False),
        pa.field("to_captured_at", TS, nullable=False),
        pa.field("gap_periods", pa.int32()),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("simhash_distance", pa.int8(), nullable=False),
        pa.field("words_added", pa.int32(), nullable=False),
        pa.field("words_removed", pa.int32(), nullable=False),
        pa.field("clauses_added", pa.int32(), nullable=False),
        pa.field("clauses_removed", pa.int32(), nullable=False),
        pa.field("clauses_modified", pa.int32(), nullable=False),
        pa.field("clauses_unchanged", pa.int32(), nullable=False),
        pa.field("categories_gained", STRLIST),
        pa.field("categories_lost", STRLIST),
        *_attribute_change_fields(),
        pa.field("from_stated_date", pa.date32()),
        pa.field("to_stated_date", pa.date32()),
    ]
)

CLAUSE_CHANGES = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("from_policy_id", pa.string(), nullable=False),
        pa.field("to_policy_id", pa.string(), nullable=False),
        pa.field("op", pa.string(), nullable=False),
        pa.field("from_clause_id", pa.string()),
        pa.field("to_clause_id", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("categories_before", STRLIST),
        pa.field("categories_after", STRLIST),
    ]
)

HISTORY_DATASETS: dict[str, pa.Schema] = {"changes": CHANGES, "clause_changes": CLAUSE_CHANGES}

DATASETS: dict[str, pa.Schema] = {
    "policies": POLICIES,
    "clauses": CLAUSES,
    "fetches": FETCHES,
    **HISTORY_DATASETS,
}
