"""Common Crawl as an archive: crawl dates, CDX index answers, and records read by range.

Pure functions only; the async glue is in crawler/archive/sources.py.

* ``collinfo.json`` lists the crawls: ``id`` (``CC-MAIN-2019-22`` = ISO week 22 of 2019;
  the oldest are ``CC-MAIN-2008-2009``, ``CC-MAIN-2012``), ``cdx-api`` and, in newer copies,
  ``from``/``to``. A crawl is asked about a URL when its dates meet the run's period.
* The per-crawl CDX API answers ``?url=…&output=json`` with NDJSON whose every value is a
  string (``offset`` and ``length`` too); no capture is a 404 with a JSON ``message``; a
  page past the end is a 400.
* The index is a ZipNum cluster (pywb): an answer is one *page* of ``pageSize`` blocks of
  3000 lines, and a query without ``page=`` is page 0. ``showNumPages=true`` answers
  ``{"pages": N, "pageSize": …, "blocks": …}`` for the same query, reading only the
  secondary index. A host listing asks it first, then ``page=0…N-1`` (:func:`num_pages`).
* A record is exactly ``length`` bytes at ``offset`` of ``filename`` on the data host, one
  gzip member holding one WARC (or, before 2013, ARC) record. Only a 206 whose range is the
  one asked for is read: a 200 (the whole file) or any other answer is refused unread.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from waybackpy.cdx_snapshot import CDXSnapshot
from waybackpy.cdx_utils import full_url

from pipelines.history.periods import parse_ts14

logger = logging.getLogger(__name__)

DEFAULT_CC_INDEX = "https://index.commoncrawl.org"
DEFAULT_CC_DATA = "https://data.commoncrawl.org"

# fetch outcome slugs of a range request that is refused before anything is read
RANGE_IGNORED = "range_ignored"  # 200: the server sent the whole file
RANGE_MISMATCH = "range_mismatch"  # 206, but not the bytes asked for
BAD_RECORD = "bad_record"  # the bytes are not one readable gzip member / WARC or ARC record

_WEEKLY = re.compile(r"^CC-MAIN-(\d{4})-(\d{2})$")
_YEARS = re.compile(r"^CC-MAIN-(\d{4})(?:-(\d{4}))?$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class Crawl:
    id: str
    cdx_api: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, inclusive

    def meets(self, start: datetime, end: datetime) -> bool:
        return self.start <= end and start <= self.end


@dataclass(frozen=True)
class CcCapture:
    """One CDX line of a crawl: the capture and where its record lies."""

    snapshot: CDXSnapshot
    filename: str
    offset: int
    length: int
    crawl: str


@dataclass(frozen=True)
class RawRecord:
    """The HTTP response stored in one WARC/ARC record."""

    status: int
    content_type: str | None
    location: str | None
    body: bytes  # decoded (chunking and content encoding undone)
    headers: tuple[tuple[str, str], ...] = ()  # the HTTP headers as the site sent them
    date: datetime | None = None  # the record's WARC-Date (ARC: its capture time)


def crawl_dates(crawl_id: str) -> tuple[datetime, datetime] | None:
    """The dates a crawl id stands for, or None when it has none of the known shapes.

    A weekly id names the week the crawl ended in; crawls ran about two weeks, so the span
    starts on the Monday two weeks earlier and ends on that week's Sunday.
    """
    m = _WEEKLY.match(crawl_id)
    if m and 1 <= int(m[2]) <= 53:
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            return None
        start = datetime.combine(monday - timedelta(days=14), datetime.min.time(), UTC)
        end = datetime.combine(monday + timedelta(days=6), datetime.max.time(), UTC)
        return start, end
    m = _YEARS.match(crawl_id)
    if m:
        first, last = int(m[1]), int(m[2] or m[1])
        if last < first:
            return None
        return (
            datetime(first, 1, 1, tzinfo=UTC),
            datetime(last, 12, 31, 23, 59, 59, tzinfo=UTC),
        )
    return None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_collinfo(body: bytes | str, index_base: str) -> list[Crawl]:
    """The crawls listed in ``collinfo.json``; entries without usable dates are skipped.

    ``from``/``to`` are used when present (newer copies); else the dates come from the id.
    A missing ``cdx-api`` is ``<index_base>/<id>-index``, as Common Crawl names them.
    """
    data = json.loads(body)
    if not isinstance(data, list):
        raise ValueError("collinfo.json is not a JSON list")
    crawls: list[Crawl] = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        cid = entry["id"]
        span = crawl_dates(cid)
        start, end = _iso(entry.get("from")), _iso(entry.get("to"))
        if start is None or end is None:
            if span is None:
                logger.warning("collinfo: crawl %r has no dates; skipped", cid)
                continue
            start, end = start or span[0], end or span[1]
        api = entry.get("cdx-api") or f"{index_base.rstrip('/')}/{cid}-index"
        crawls.append(Crawl(cid, str(api), start, end))
    return crawls


def select_crawls(
    crawls: list[Crawl], start: datetime, end: datetime, ids: tuple[str, ...] = ()
) -> tuple[list[Crawl], list[str]]:
    """(crawls to ask, ids asked for but not listed). With ``ids``, exactly those crawls;
    else every crawl whose dates meet [start, end]. Oldest first."""
    if ids:
        by_id = {c.id: c for c in crawls}
        return [by_id[i] for i in ids if i in by_id], [i for i in ids if i not in by_id]
    return sorted((c for c in crawls if c.meets(start, end)), key=lambda c: c.start), []


def cdx_query(
    cdx_api: str,
    url: str,
    from_ts: str,
    to_ts: str,
    *,
    prefix: bool = False,
    limit: int | None = None,
    page: int | None = None,
    show_num_pages: bool = False,
) -> str:
    """One crawl's index query for ``url`` (every URL under it with ``prefix``); one
    ``page`` of it, or (``show_num_pages``) how many pages it has."""
    params: dict[str, str | int] = {"url": url, "output": "json", "from": from_ts, "to": to_ts}
    if prefix:
        params["matchType"] = "prefix"
    if limit:
        params["limit"] = limit
    if show_num_pages:
        params["showNumPages"] = "true"
    elif page is not None:
        params["page"] = page
    return full_url(cdx_api, params)


def num_pages(body: bytes) -> int | None:
    """The page count of a ``showNumPages`` answer, or None when it is not one (an index
    that ignores the parameter answers with captures instead)."""
    try:
        obj = json.loads(body.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return None
    pages = obj.get("pages") if isinstance(obj, dict) else None
    if isinstance(pages, str) and pages.isdigit():
        pages = int(pages)
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        return None
    return pages


def no_captures_message(status: int, body: bytes) -> str | None:
    """The reason an index answer means "nothing here" (404 with a JSON ``message``, or a
    400 for a page past the end); None when the answer is an error."""
    if status not in (400, 404):
        return None
    try:
        obj = json.loads(body.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        obj = None
    message = obj.get("message") if isinstance(obj, dict) else None
    if status == 404 and isinstance(message, str):
        return message
    if status == 400:
        return message if isinstance(message, str) else "page past the end"
    return None


def parse_cc_cdx(body: bytes, crawl: str) -> tuple[list[CcCapture], int]:
    """(captures, malformed lines) of one NDJSON index answer. Revisit records are left
    out: their payload lies in another record that a single range cannot reach."""
    out: list[CcCapture] = []
    bad = 0
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            ts, url = str(obj["timestamp"]), str(obj["url"])
            offset, length = int(obj["offset"]), int(obj["length"])
            filename = str(obj["filename"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            bad += 1
            continue
        mime = str(obj.get("mime") or "-")
        if mime == "warc/revisit" or not ts.isdigit() or offset < 0 or length <= 0:
            bad += mime != "warc/revisit"
            continue
        if len(ts) < 14:
            ts = parse_ts14(ts).strftime("%Y%m%d%H%M%S")
        snap = CDXSnapshot(
            {
                "urlkey": str(obj.get("urlkey") or "-"),
                "timestamp": ts,
                "original": url,
                "mimetype": mime,
                "statuscode": str(obj.get("status") or "-"),
                "digest": str(obj.get("digest") or "-"),
                "length": str(length),
            }
        )
        out.append(CcCapture(snap, filename, offset, length, crawl))
    return out, bad


def range_header(offset: int, length: int) -> str:
    return f"bytes={offset}-{offset + length - 1}"


def check_range(
    status: int, content_range: str | None, body: bytes, offset: int, length: int
) -> str | None:
    """Why a range answer must not be read (a reason slug), or None when it is exactly the
    ``length`` bytes at ``offset``."""
    if status == 200:
        return RANGE_IGNORED
    if status != 206:
        return f"http_{status}"
    m = _CONTENT_RANGE.match((content_range or "").strip())
    if m is None or int(m[1]) != offset or int(m[2]) != offset + length - 1:
        return RANGE_MISMATCH
    if len(body) != length:
        return RANGE_MISMATCH
    return None


def read_record(data: bytes) -> RawRecord:
    """The HTTP response in one gzip member holding one WARC or ARC record.

    Raises ValueError (message says why) for anything else: several members, a bad gzip
    stream, a record that is not an HTTP response.
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = d.decompress(data) + d.flush()
    except zlib.error as exc:
        raise ValueError(f"not a gzip member: {exc}") from exc
    if not d.eof:
        raise ValueError("the gzip member is truncated")
    if d.unused_data.strip(b"\0"):
        raise ValueError("more than one gzip member in the range")
    try:
        records = ArchiveIterator(io.BytesIO(raw), arc2warc=True)
        for rec in records:
            if rec.rec_type not in ("response", "resource"):
                raise ValueError(f"a {rec.rec_type} record, not a response")
            http = rec.http_headers
            body = rec.content_stream().read()
            date = _iso(rec.rec_headers.get_header("WARC-Date") or "")
            if http is None or rec.rec_type == "resource":
                ctype = rec.rec_headers.get_header("Content-Type")
                heads = (("Content-Type", ctype),) if ctype else ()
                return RawRecord(200, ctype, None, body, heads, date)
            status_text = http.get_statuscode() or ""
            status = int(status_text) if status_text.isdigit() else 0
            if not 100 <= status <= 599:
                raise ValueError(f"bad HTTP status {status_text!r}")
            return RawRecord(
                status,
                http.get_header("Content-Type"),
                http.get_header("Location"),
                body,
                tuple(http.headers),
                date,
            )
    except ArchiveLoadFailed as exc:
        raise ValueError(f"not a WARC or ARC record: {exc}") from exc
    raise ValueError("no record in the range")
