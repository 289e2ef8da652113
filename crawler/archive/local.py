"""The archive client of ``policyarchive ingest``: local WARC/ARC/WACZ files, no server.

It answers the wayback spider's questions (``captures``, ``fetch``, ``list_host``, ...) from
the SQLite index of the files (pipelines/storage/warcindex.py) and reads each record at its
offset, so the discovery, period and redirect logic is the wayback spider's own. A revisit
record is answered with the payload of the record it refers to (same digest), as a replay
server would. Where a fetched record came from is its *locator*, ``<file>@<offset>``,
carried in ``Fetched.archive_url`` and turned into ``warc_filename``/``warc_offset``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urljoin

from waybackpy.cdx_snapshot import CDXSnapshot

from crawler.archive.client import Fetched
from crawler.links import meta_refresh_target
from pipelines.items import FetchRecord
from pipelines.storage.warcindex import Row, WarcIndex
from pipelines.storage.warcread import MAX_BODY, read_record

logger = logging.getLogger(__name__)

SOURCE = "warc"


def locator(file: str, offset: int) -> str:
    return f"{file}@{offset}"


def parse_locator(value: str | None) -> tuple[str | None, int | None]:
    if not value or "@" not in value:
        return None, None
    file, _, offset = value.rpartition("@")
    return (file, int(offset)) if offset.isdigit() else (None, None)


def snapshot_of(row: Row) -> CDXSnapshot:
    return CDXSnapshot(
        {
            "urlkey": row.urlkey,
            "timestamp": row.ts,
            "original": row.url,
            "mimetype": row.mime,
            "statuscode": row.status,
            "digest": row.digest or "-",
            "length": str(row.length),
        }
    )


class LocalArchiveClient:
    """Same surface as crawler.archive.client.ArchiveClient, over local files."""

    def __init__(self, index: WarcIndex, run_id: str = "") -> None:
        self.index = index
        self.run_id = run_id
        self.records: list[FetchRecord] = []
        self.cdx_failures: dict[str, str] = {}  # never filled: a local index cannot fail
        self.cdx_requests = 0
        self.replay_requests = 0

    def forget_site(self, site: str) -> None:
        pass  # nothing cached per site: SQLite answers

    # the wayback spider names whose capture a page is; the warc spider then clears both
    # (source "warc"; the record's file and offset are the provenance)
    def archive_of(self, site: str, timestamp: str, url: str) -> str:
        return "warc"

    def capture_url(self, site: str, timestamp: str, url: str) -> str:
        return url

    def drain(self) -> list[FetchRecord]:
        out, self.records = self.records, []
        return out

    def _record(
        self,
        site: str,
        url: str,
        kind: str,
        outcome: str,
        snapshot: str = "all",
        status: int | None = None,
        detail: str = "",
        archive_url: str | None = None,
        captured_at: datetime | None = None,
    ) -> None:
        file, offset = parse_locator(archive_url)
        self.records.append(
            FetchRecord(
                site=site,
                url=url,
                snapshot=snapshot,
                source=SOURCE,
                outcome=outcome,
                kind=kind,
                http_status=status,
                detail=detail,
                captured_at=captured_at,
                fetched_at=datetime.now(UTC),
                run_id=self.run_id,
                warc_filename=file,
                warc_offset=offset,
            )
        )

    async def list_host(self, site: str, homepage: str, from_ts: str, to_ts: str) -> None:
        pass  # every lookup is a local index query already

    async def captures(
        self, site: str, url: str, from_ts: str, to_ts: str, *, statuses: str = "200"
    ) -> list[CDXSnapshot]:
        self.cdx_requests += 1
        records = [snapshot_of(r) for r in self.index.captures(url, from_ts, to_ts)]
        if statuses == "200":
            return [r for r in records if r.statuscode == "200"]
        if statuses == "not200":
            return [r for r in records if r.statuscode != "200"]
        return records

    def locate(self, url: str, timestamp: str) -> tuple[str, int] | None:
        """The file and offset of the record holding the capture's payload."""
        row = self.index.at(url, timestamp)
        if row is None:
            return None
        if row.kind == "revisit":
            orig = self.index.original_of(row.digest, url, timestamp)
            if orig is not None:
                return orig.file, orig.offset
        return row.file, row.offset

    async def fetch(
        self, site: str, snapshot: str, timestamp: str, url: str, kind: str = "policy"
    ) -> Fetched | None:
        """Read one capture's record; a broken or missing record is recorded, gives None."""
        self.replay_requests += 1
        row = self.index.at(url, timestamp)
        if row is None:
            self._record(site, url, kind, "no_capture_in_period", snapshot)
            return None
        where = locator(row.file, row.offset)
        try:
            rec = read_record(row.file, row.offset)
            body, head = rec.body, rec
            if rec.kind == "revisit":
                orig = self.index.original_of(row.digest, url, timestamp)
                if orig is None:
                    self._record(
                        site,
                        url,
                        kind,
                        "revisit_original_missing",
                        snapshot,
                        detail=f"no record with payload digest {row.digest} in the collection",
                        archive_url=where,
                    )
                    return None
                where = locator(orig.file, orig.offset)
                payload = read_record(orig.file, orig.offset)
                body = payload.body
                if head.status is None:
                    head = payload  # a revisit without an HTTP head: the original's
        except Exception as exc:  # a record the index saw but cannot be read back whole
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            self._record(
                site, url, kind, "broken_record", snapshot, detail=detail, archive_url=where
            )
            return None
        if len(body) > MAX_BODY:
            self._record(site, url, kind, "too_large", snapshot, archive_url=where)
            return None
        status = head.status or 200
        location = head.location
        if location:
            location = urljoin(url, location)
        ctype = head.content_type
        refresh = None
        if status == 200 and "html" in (ctype or "html").lower():
            refresh = meta_refresh_target(body, url)
        return Fetched(
            url=url,
            timestamp=timestamp,
            archive_url=where,
            status=status,
            body=body,
            content_type=ctype,
            location=location if 300 <= status < 400 else None,
            refresh=refresh,
        )
