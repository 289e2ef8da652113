"""Pipeline step 900: write documents, clauses and every fetch outcome; then the run manifest.

Every page that does not become a document still leaves a row in ``fetches`` with its
reason: dropped items reach us through Scrapy's ``item_dropped`` signal.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from pipelines.drops import Refused
from pipelines.items import Document, FetchRecord, PolicyPage
from pipelines.parquet import CommittedFile, DatasetWriter, fsync_dir
from pipelines.state import StateStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_PACKAGES = (
    "policyarchive",
    "scrapy",
    "trafilatura",
    "pyarrow",
    "pandas",
    "waybackpy",
    "scikit-learn",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fetch_row(rec: FetchRecord) -> dict[str, Any]:
    return {
        "site": rec.site,
        "url": rec.url,
        "kind": rec.kind,
        "source": rec.source,
        "outcome": rec.outcome,
        "http_status": rec.http_status,
        "detail": rec.detail[:2000],
        "archive_url": rec.archive_url,
        "captured_at": rec.captured_at,
        "fetched_at": rec.fetched_at or datetime.now(UTC),
        "run_id": rec.run_id,
    }


def page_fetch(page: PolicyPage, outcome: str, detail: str = "") -> FetchRecord:
    return FetchRecord(
        site=page.site,
        url=page.policy_url,
        snapshot=page.snapshot,
        source=page.source,
        outcome=outcome,
        kind="policy",
        http_status=page.http_status,
        detail=detail,
        archive_url=page.archive_url,
        captured_at=page.captured_at,
        run_id=page.run_id,
    )


class ParquetPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.out_dir = Path(crawler.settings.get("OUTPUT_DIR"))
        self.row_group_rows = crawler.settings.getint("POLICYARCHIVE_ROW_GROUP_ROWS")
        self.writer: DatasetWriter | None = None
        self.state: StateStore | None = None
        self.started_at = datetime.now(UTC)
        self.outcomes: Counter[str] = Counter()
        self.docs_per_snapshot: Counter[str] = Counter()
        self.sites_with_docs: set[str] = set()
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetPipeline:
        return cls(crawler)

    @property
    def run_id(self) -> str:
        return getattr(self.crawler.spider, "run_id", "") or self.started_at.strftime(
            "%Y%m%dT%H%M%SZ"
        )

    def open_spider(self) -> None:
        removed = DatasetWriter.clean_temporaries(self.out_dir)
        if removed:
            logger.warning("removed %d unfinished part files left by an interrupted run", removed)
        self.state = StateStore(self.out_dir / "state.sqlite")
        self.state.run_started(self.run_id, self.started_at.isoformat())
        self.writer = DatasetWriter(
            self.out_dir,
            self.run_id,
            row_group_rows=self.row_group_rows,
            on_commit=self._on_commit,
        )

    def _on_commit(self, f: CommittedFile) -> None:
        if f.dataset == "policies" and self.state is not None:
            self.state.mark_stored(f.keys, self.run_id, str(f.path))

    def _fetch(self, rec: FetchRecord) -> None:
        assert self.writer is not None
        if not rec.run_id:
            rec.run_id = self.run_id
        self.outcomes[rec.outcome] += 1
        self.stats.inc_value(f"policyarchive/fetches/{rec.outcome}")
        self.writer.add("fetches", rec.snapshot, fetch_row(rec))

    async def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if isinstance(item, FetchRecord):
            self._fetch(item)
        elif isinstance(item, Document):
            policy = item.policy
            # clauses first: a document counts as stored only once its policies part commits
            for row in item.clauses:
                self.writer.add("clauses", item.snapshot, row)
            self.writer.add("policies", item.snapshot, policy, key=policy["policy_id"])
            self.docs_per_snapshot[item.snapshot] += 1
            self.sites_with_docs.add(policy["site"])
            self._fetch(
                FetchRecord(
                    site=policy["site"],
                    url=policy["policy_url"],
                    snapshot=item.snapshot,
                    source=policy["source"],
                    outcome="ok",
                    kind="policy",
                    http_status=policy["http_status"],
                    archive_url=policy["archive_url"],
                    captured_at=policy["captured_at"],
                    detail=f"policy_id={policy['policy_id']}",
                )
            )
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        reason = exception.reason if isinstance(exception, Refused) else "dropped"
        self.stats.inc_value(f"policyarchive/dropped/{reason}")
        if isinstance(item, PolicyPage) and self.writer is not None:
            self._fetch(page_fetch(item, reason, str(exception)))

    def close_spider(self) -> None:
        assert self.writer is not None and self.state is not None
        reason = self.crawler.stats.get_value("finish_reason") or "finished"
        files = self.writer.close()
        finished = datetime.now(UTC)
        status = "complete" if reason == "finished" else f"incomplete: {reason}"
        spider = self.crawler.spider
        failures = {k: v for k, v in self.outcomes.items() if k != "ok"}
        manifest = {
            "run_id": self.run_id,
            "spider": getattr(spider, "name", None),
            "arguments": getattr(spider, "run_args", {}),
            "command": sys.argv,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "status": status,
            "versions": _versions(),
            "counts": {
                "rows": self.writer.row_counts,
                "sites_with_documents": len(self.sites_with_docs),
                "documents_per_snapshot": dict(sorted(self.docs_per_snapshot.items())),
                "fetch_outcomes": dict(sorted(self.outcomes.items())),
                "failures_by_reason": dict(sorted(failures.items())),
            },
            "files": [
                {
                    "dataset": f.dataset,
                    "snapshot": f.snapshot,
                    "path": str(f.path),
                    "rows": f.rows,
                    "sha256": f.sha256,
                }
                for f in files
            ],
        }
        write_json_atomic(self.out_dir / "runs" / f"{self.run_id}.json", manifest)
        self.state.run_finished(self.run_id, finished.isoformat(), status)
        self.state.close()
        logger.info("run %s %s: %s", self.run_id, status, json.dumps(manifest["counts"]))
