"""The ``reextract`` spider: the document path again over stored WARC records, no network.

For each document in ``OUT/policies`` whose body was kept as WARC (``warc_filename`` and
``warc_offset``: written by ``--warc-out`` or read by ``ingest``), read the record back,
check it is the same body (sha256 = ``content_digest``) and send it through extraction,
detection and classification as they are now. Rows come out in a new run with
``reextracted`` = true and their own ``policy_id`` (see pipelines/process.py), so the
original rows stay and change tracking pairs the two as one capture, not a change.

The dedupe step is not in this spider's pipeline: every row it writes is new by design.
Documents already re-extracted are read once, as their original.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from crawler.spiders.base import PolicySpider
from pipelines.items import FetchRecord, PolicyPage
from pipelines.storage.warcread import read_record

logger = logging.getLogger(__name__)

COLUMNS = [
    "site",
    "snapshot",
    "source",
    "policy_url",
    "captured_at",
    "archive_url",
    "http_status",
    "content_digest",
    "cdx_digest",
    "homepage_url",
    "discovered_by",
    "redirects",
    "warc_filename",
    "warc_offset",
    "reextracted",
]


@dataclass(frozen=True)
class ReextractArgs:
    out: Path

    @classmethod
    def from_kwargs(cls, kw: dict[str, Any]) -> ReextractArgs:
        return cls(Path(str(kw.get("out") or "")))

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out)}


def stored_documents(out: Path) -> Iterator[dict[str, Any]]:
    """Original rows (not re-extractions) with a WARC record, one per capture."""
    path = out / "policies"
    if not path.is_dir():
        return
    part = ds.partitioning(pa.schema([("snapshot", pa.string())]), flavor="hive")
    dataset = ds.dataset(path, format="parquet", partitioning=part)
    names = set(dataset.schema.names)
    if "warc_filename" not in names:
        return
    cols = [c for c in COLUMNS if c in names]
    seen: set[tuple[str, str, str, str]] = set()
    flt = ds.field("warc_filename").is_valid()
    for batch in dataset.to_batches(columns=cols, filter=flt, batch_size=1000):
        for row in batch.to_pylist():
            if row.get("reextracted"):
                continue
            key = (row["site"], row["snapshot"], row["source"], row["content_digest"])
            if key in seen:
                continue
            seen.add(key)
            yield row


class ReextractSpider(PolicySpider):
    name = "reextract"
    args_model = ReextractArgs
    args: ReextractArgs
    custom_settings = {  # noqa: RUF012 (Scrapy reads it as a class attribute)
        "ITEM_PIPELINES": {
            "pipelines.steps.process.ProcessPipeline": 200,
            "pipelines.steps.parquet.ParquetPipeline": 900,
        }
    }

    async def start(self) -> AsyncIterator[Any]:
        out = Path(self.crawler.settings.get("OUTPUT_DIR"))
        n = 0
        sites: set[str] = set()
        for row in stored_documents(out):
            n += 1
            sites.add(row["site"])
            self.run_args["site_count"] = len(sites)  # the manifest is written at the end
            yield self.page(row)
        logger.info("reextract: %d stored documents read back", n)
        self.crawler.stats.set_value("policyarchive/reextract/documents", n)

    def page(self, row: dict[str, Any]) -> PolicyPage | FetchRecord:
        file, offset = row["warc_filename"], int(row["warc_offset"])
        try:
            rec = read_record(file, offset)
        except Exception as exc:  # a moved or damaged file: say which, carry on
            return self.failed(row, "warc_unreadable", f"{type(exc).__name__}: {exc}"[:300])
        if hashlib.sha256(rec.body).hexdigest() != row["content_digest"]:
            return self.failed(row, "warc_mismatch", "the record's body is not the document's")
        return PolicyPage(
            site=row["site"],
            source=row["source"],
            policy_url=row["policy_url"],
            captured_at=row["captured_at"],
            snapshot=row["snapshot"],
            body=rec.body,
            http_status=row.get("http_status") or 200,
            content_type=rec.content_type,
            archive_url=row.get("archive_url"),
            cdx_digest=row.get("cdx_digest"),
            homepage_url=row.get("homepage_url"),
            discovered_by=row.get("discovered_by") or "input",
            redirects=list(row.get("redirects") or []),
            run_id=self.run_id,
            warc_filename=file,
            warc_offset=offset,
            reextracted=True,
        )

    def failed(self, row: dict[str, Any], outcome: str, detail: str) -> FetchRecord:
        self.crawler.stats.inc_value(f"policyarchive/dropped/{outcome}")
        return FetchRecord(
            site=row["site"],
            url=row["policy_url"],
            snapshot=row["snapshot"],
            source=row["source"],
            outcome=outcome,
            kind="policy",
            detail=detail,
            captured_at=row["captured_at"],
            run_id=self.run_id,
            warc_filename=row["warc_filename"],
            warc_offset=row["warc_offset"],
        )
