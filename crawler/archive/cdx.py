"""CDX index responses → capture records, and the choice of one capture per snapshot.

Three output forms reach us and all parse to waybackpy ``CDXSnapshot`` records:
- IA JSON: a JSON array of rows, the first a header row; with ``showResumeKey=true`` an
  empty row then ``[resumeKey]`` end the page.
- IA text: space-separated lines ``urlkey timestamp original mimetype statuscode digest
  length``; a blank line then the resume key end the page.
- pywb NDJSON: one object per line with fields ``urlkey``, ``timestamp``, ``url``,
  ``mime``, ``status``, ``digest``, ``length``.
Malformed lines are counted and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from waybackpy.cdx_snapshot import CDXSnapshot
from waybackpy.cdx_utils import full_url

from pipelines.history.periods import Period, parse_ts14

logger = logging.getLogger(__name__)

IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_NDJSON_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}


@dataclass
class CdxPage:
    records: list[CDXSnapshot] = field(default_factory=list)
    resume_key: str | None = None
    malformed: int = 0


def _record(fields: dict[str, str]) -> CDXSnapshot | None:
    """A CDXSnapshot from a field dict, or None when the row is unusable."""
    props = {k: str(fields.get(k) or "-") for k in IA_FIELDS}
    ts, original = props["timestamp"], props["original"]
    if not ts.isdigit() or not 4 <= len(ts) <= 14 or original == "-":
        return None
    if len(ts) < 14:
        props["timestamp"] = parse_ts14(ts).strftime("%Y%m%d%H%M%S")
    try:
        return CDXSnapshot(props)
    except (ValueError, KeyError):
        return None


def _parse_ia_json(data: list) -> CdxPage:
    page = CdxPage()
    if not data:
        return page
    header = data[0] if data and all(isinstance(x, str) for x in data[0]) else list(IA_FIELDS)
    rows = data[1:] if header is data[0] else data
    names = ["original" if h == "url" else h for h in header]
    expect_key = False
    for row in rows:
        if not isinstance(row, list):
            page.malformed += 1
            continue
        if row == []:
            expect_key = True  # the resume key follows an empty row
            continue
        if expect_key and len(row) == 1:
            page.resume_key = str(row[0])
            continue
        if len(row) != len(names):
            page.malformed += 1
            continue
        rec = _record(dict(zip(names, row, strict=True)))
        if rec is None:
            page.malformed += 1
        else:
            page.records.append(rec)
    return page


def _parse_ndjson(lines: Iterable[str]) -> CdxPage:
    page = CdxPage()
    for line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            page.malformed += 1
            continue
        if not isinstance(obj, dict):
            page.malformed += 1
            continue
        if set(obj) == {"resumeKey"} or set(obj) == {"resume_key"}:
            page.resume_key = str(next(iter(obj.values())))
            continue
        fields = {_NDJSON_ALIASES.get(k, k): v for k, v in obj.items()}
        rec = _record(fields)
        if rec is None:
            page.malformed += 1
        else:
            page.records.append(rec)
    return page


def _parse_text(lines: list[str]) -> CdxPage:
    page = CdxPage()
    seen_blank = False
    for line in lines:
        if not line.strip():
            seen_blank = True
            continue
        parts = line.split()
        if seen_blank and len(parts) == 1:
            page.resume_key = parts[0]
            continue
        if len(parts) != len(IA_FIELDS):
            page.malformed += 1
            continue
        rec = _record(dict(zip(IA_FIELDS, parts, strict=True)))
        if rec is None:
            page.malformed += 1
        else:
            page.records.append(rec)
    return page


def parse_cdx(body: bytes | str) -> CdxPage:
    """Parse one page of CDX output in any of the three forms."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.strip()
    if not stripped:
        return CdxPage()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            return _parse_ia_json(data)
        return CdxPage(malformed=len(stripped.splitlines()))
    lines = text.splitlines()
    if stripped.startswith("{"):
        return _parse_ndjson(line for line in lines if line.strip())
    return _parse_text(lines)


def cdx_query_url(
    archive: str,
    url: str,
    *,
    from_ts: str | None = None,
    to_ts: str | None = None,
    resume_key: str | None = None,
    limit: int = 5000,
    statuses: str | None = "200",
    match_type: str | None = None,
) -> str:
    """The CDX query for one URL's captures with this status (None: all), with resume-key
    paging; ``match_type="prefix"`` asks for every URL under ``url``.

    ``allowFuzzy=false`` because pywb otherwise answers a query that matches nothing with
    everything it has under a fuzzy rule.
    """
    params: dict[str, str | int] = {"url": url, "output": "json"}
    if match_type:
        params["matchType"] = match_type
    if from_ts:
        params["from"] = from_ts
    if to_ts:
        params["to"] = to_ts
    if statuses:
        params["filter"] = f"statuscode:{statuses}"
    params["allowFuzzy"] = "false"
    params["showResumeKey"] = "true"
    params["limit"] = limit
    if resume_key:
        params["resumeKey"] = resume_key
    return full_url(archive.rstrip("/") + "/cdx/search/cdx", params)


def raw_capture_url(archive: str, timestamp: str, url: str) -> str:
    """The raw (``id_``) capture URL: the archived bytes, never the rewritten page."""
    return f"{archive.rstrip('/')}/web/{timestamp}id_/{url}"


def seed_capture_url(archive: str, timestamp: str, url: str) -> str:
    """The capture URL as the seed format writes it: the original URL's ``:`` as ``%3A``."""
    return f"{archive.rstrip('/')}/web/{timestamp}id_/{url.replace(':', '%3A')}"


def captured_at(rec: CDXSnapshot) -> datetime:
    return parse_ts14(rec.timestamp)


def usable(rec: CDXSnapshot) -> bool:
    """A 200 capture of an HTML-ish document (pywb's substring filter can let others through)."""
    return rec.statuscode == "200" and not rec.mimetype.startswith(("image/", "warc/revisit"))


def is_revisit(rec: CDXSnapshot) -> bool:
    """A WARC revisit record: an identical re-capture stored by reference (status ``-``).

    Replayed, it gives the payload its digest names; a ``statuscode:200`` query omits it.
    """
    return rec.mimetype == "warc/revisit" and rec.digest != "-"


def distinct_versions(records: Sequence[CDXSnapshot]) -> list[CDXSnapshot]:
    """Time-ordered captures, keeping only the first of each run of a repeated digest.

    A digest that comes back after a different one is a new version (a policy can revert).
    Records without a digest are kept: we cannot prove they repeat.
    """
    out: list[CDXSnapshot] = []
    last_digest: str | None = None
    seen: set[tuple[str, str]] = set()
    for rec in sorted(records, key=lambda r: (r.timestamp, r.original)):
        key = (rec.timestamp, rec.original)
        if key in seen:
            continue
        seen.add(key)
        if rec.digest != "-" and rec.digest == last_digest:
            continue
        last_digest = rec.digest if rec.digest != "-" else None
        out.append(rec)
    return out


def in_period(records: Iterable[CDXSnapshot], period: Period) -> list[CDXSnapshot]:
    return [r for r in records if period.contains(captured_at(r))]


def closest_to_midpoint(records: Sequence[CDXSnapshot], period: Period) -> CDXSnapshot | None:
    """The capture in ``period`` nearest its middle; ties go to the earlier capture."""
    inside = in_period(records, period)
    if not inside:
        return None
    mid = period.midpoint
    return min(inside, key=lambda r: (abs((captured_at(r) - mid).total_seconds()), r.timestamp))


def same_document(a: str, b: str) -> bool:
    """True when two URLs differ only by scheme, a leading ``www.`` or a trailing slash."""

    def norm(u: str) -> tuple[str, str, str]:
        s = urlsplit(u)
        host = (s.hostname or "").removeprefix("www.")
        return host, s.path.rstrip("/") or "/", s.query

    return norm(a) == norm(b)
