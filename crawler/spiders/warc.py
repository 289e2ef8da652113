"""The ``warc`` spider (``policyarchive ingest``): the wayback spider over local archive files.

Everything about finding and choosing captures — the homepage's privacy link as captured,
common paths, periods, capture nearest each period's middle, revisits, archived redirects
and meta refreshes — is the wayback spider's; only the client differs: a local index of
the files (crawler/archive/local.py) instead of a CDX server and a replay server. Documents
get ``source`` = ``warc`` and the file and offset of the record their body was read from.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.archive.local import SOURCE, LocalArchiveClient
from crawler.args import ArgumentError, _every, _sites
from crawler.sites import SiteEntry
from crawler.spiders.wayback import Choice, WaybackSpider
from pipelines.history.periods import DateArgError, Period, parse_date_arg, plan_periods
from pipelines.items import FetchRecord, PolicyPage
from pipelines.storage.state import SiteDone, StoredSnapshots
from pipelines.storage.warcindex import WarcIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestArgs:
    index: Path  # the SQLite index built by ``policyarchive ingest``
    sites_path: Path
    sites: list[SiteEntry]
    start: datetime
    end: datetime
    every: str
    paths: str = ""  # the files and folders ingested, for the manifest
    archive: str = SOURCE  # the wayback spider builds (then we drop) an archive URL from it

    @classmethod
    def from_kwargs(cls, kw: dict[str, Any]) -> IngestArgs:
        index = Path(str(kw.get("index") or ""))
        if not index.is_file():
            raise ArgumentError(f"argument 'index': no such file: {index}")
        path, entries = _sites(kw.get("sites"))
        try:
            start = parse_date_arg(str(kw.get("from")))
            end = parse_date_arg(str(kw.get("to")), end=True)
        except DateArgError as exc:
            raise ArgumentError(f"arguments 'from'/'to': {exc}") from exc
        if end <= start:
            raise ArgumentError("argument 'to' must not be before 'from'")
        every = _every(kw.get("every"))
        return cls(index, path, entries, start, end, every, str(kw.get("paths") or ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "paths": self.paths,
            "sites": str(self.sites_path),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "every": self.every,
            "site_count": len(self.sites),
        }


class WarcSpider(WaybackSpider):
    name = "warc"
    args_model = IngestArgs
    args: IngestArgs  # type: ignore[assignment]

    async def start(self) -> AsyncIterator[Any]:
        self.index = WarcIndex(self.args.index)
        self.client = LocalArchiveClient(self.index, self.run_id)  # type: ignore[assignment]
        self.periods = plan_periods(self.args.start, self.args.end, self.args.every)
        self.from_ts, self.to_ts = self.periods[0].from_ts, self.periods[-1].to_ts
        self.stored = StoredSnapshots(self.crawler.settings.get("OUTPUT_DIR"), SOURCE)
        logger.info(
            "ingest: %d sites × %d periods (%s) from %d indexed records",
            len(self.args.sites),
            len(self.periods),
            self.args.every,
            self.index.count(),
        )
        for file, offset, detail in self.index.broken():
            self.crawler.stats.inc_value("policyarchive/dropped/broken_record")
            yield FetchRecord(
                site="-",
                url=file,
                snapshot="all",
                source=SOURCE,
                outcome="broken_record",
                kind="record",
                detail=detail,
                run_id=self.run_id,
                warc_filename=file,
                warc_offset=offset,
            )
        for entry in self.args.sites:
            # as in the wayback spider: one local request per site starts its story
            yield Request(
                "data:,",
                callback=self.crawl_site,
                cb_kwargs={"entry": entry},
                dont_filter=True,
                meta={"dont_obey_robotstxt": True},
            )

    async def crawl_site(self, response: Response, entry: SiteEntry) -> AsyncIterator[Any]:
        pages = 0
        async for item in self.crawl_site_items(entry):
            if isinstance(item, FetchRecord):
                item.source = SOURCE  # the wayback spider's own rows say "wayback"
            pages += isinstance(item, PolicyPage)
            yield item
        yield SiteDone(entry.site, SOURCE, "", pages)

    async def fetch_policy(
        self,
        entry: SiteEntry,
        period: Period,
        snapshot: str,
        choice: Choice,
        bodies: dict[str, Any],
    ) -> PolicyPage | None:
        item = await super().fetch_policy(entry, period, snapshot, choice, bodies)
        if item is None:
            return None
        ts = item.captured_at.strftime("%Y%m%d%H%M%S")
        found = self.client.locate(item.policy_url, ts)  # type: ignore[attr-defined]
        item.source, item.archive, item.archive_url = SOURCE, None, None
        if found is not None:
            item.warc_filename, item.warc_offset = found
        return item

    def closed(self, reason: str) -> None:
        self.index.close()
