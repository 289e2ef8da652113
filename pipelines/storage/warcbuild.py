"""Build small, deterministic WARC files from a capture spec.

Used for test fixtures and the bundled demo archive: a JSON spec lists captures (URL,
14-digit timestamp, HTTP status, and a page file or a redirect target) and
:func:`build_warc` writes them as gzipped WARC/1.0 response records that pywb (or any
WARC reader) can index and replay.

The same spec always yields the same bytes: record IDs are UUIDv5s derived from the URL,
timestamp and record type, WARC-Date and the HTTP ``Date`` header come from the capture
timestamp, and gzip members carry no mtime (warcio compresses with zlib, mtime 0).

Spec format (file paths are relative to the spec file)::

    {"captures": [
      {"url": "http://www.alpha.example/", "timestamp": "20091218024508",
       "status": 200, "file": "pages/alpha-home.html"},
      {"url": "http://www.gamma.example/privacy.php", "timestamp": "20100301000000",
       "status": 301, "location": "http://www.gamma.example/legal/privacy-notice"},
      {"url": "http://www.alpha.example/privacy.html", "timestamp": "20091220000000",
       "status": 200, "file": "pages/alpha-privacy-2008.html", "revisit": true},
      {"url": "http://www.alpha.example/gone", "timestamp": "20091220000000",
       "status": 404, "text": "<html>Not Found</html>"}
    ]}

Optional keys per capture: ``content_type``, ``headers`` (object of extra HTTP headers),
``text`` (inline body instead of ``file``), ``revisit`` (write a WARC revisit record
pointing at the earliest earlier capture of the same URL with identical bytes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from base64 import b32encode
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REASONS: dict[int, str] = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"
# A fixed namespace so record IDs depend only on the capture, never on the machine.
_ID_NAMESPACE = uuid.UUID("6f1d3c52-9a0e-5b7c-8e41-2d5f0a9b7c13")
_TS_RE = re.compile(r"^\d{14}$")


class SpecError(ValueError):
    """A capture spec is malformed; the message names the capture."""


@dataclass(frozen=True)
class CaptureSpec:
    """One archived capture to write: an HTTP response as the crawler saw it."""

    url: str
    timestamp: str  # 14 digits, UTC: YYYYMMDDhhmmss
    status: int = 200
    body: bytes = b""
    content_type: str = DEFAULT_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()  # extra HTTP headers, in order
    location: str | None = None  # required for redirects
    revisit: bool = False  # write a revisit record instead of the full payload

    def __post_init__(self) -> None:
        if not _TS_RE.match(self.timestamp):
            raise SpecError(f"{self.url}: timestamp must be 14 digits, got {self.timestamp!r}")
        parse_timestamp(self.timestamp)  # raises on impossible dates
        if not self.url.startswith(("http://", "https://")):
            raise SpecError(f"{self.url!r}: URL must be absolute http(s)")
        if self.status in REDIRECT_STATUSES and not self.location:
            raise SpecError(f"{self.url} @ {self.timestamp}: status {self.status} needs a location")
        if not 100 <= self.status <= 599:
            raise SpecError(f"{self.url} @ {self.timestamp}: bad HTTP status {self.status}")

    @property
    def sha1_digest(self) -> str:
        """The payload digest as CDX indexes report it (base32 SHA-1, no prefix)."""
        return b32encode(hashlib.sha1(self.body).digest()).decode("ascii")


@dataclass
class _Written:
    """What a revisit needs to know about an earlier response record."""

    url: str
    timestamp: str
    digest: str
    body: bytes = field(repr=False)


def parse_timestamp(ts: str) -> datetime:
    """A 14-digit capture timestamp as an aware UTC datetime."""
    try:
        return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise SpecError(f"bad timestamp {ts!r}: {exc}") from exc


def warc_date(ts: str) -> str:
    """``20091218024508`` -> ``2009-12-18T02:45:08Z`` (WARC/1.0 date form)."""
    return parse_timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_id(url: str, ts: str, kind: str) -> str:
    """A stable WARC-Record-ID for one record of one capture."""
    return f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{kind} {ts} {url}')}>"


def _http_headers(cap: CaptureSpec) -> StatusAndHeaders:
    reason = REASONS.get(cap.status, "Status")
    headers: list[tuple[str, str]] = [
        ("Date", format_datetime(parse_timestamp(cap.timestamp), usegmt=True)),
        ("Server", "Apache/2.2.3 (Unix)"),
    ]
    if cap.location:
        headers.append(("Location", cap.location))
    headers.append(("Content-Type", cap.content_type))
    headers.append(("Content-Length", str(len(cap.body))))
    headers.extend(cap.headers)
    headers.append(("Connection", "close"))
    return StatusAndHeaders(f"{cap.status} {reason}", headers, protocol="HTTP/1.1")


def _warcinfo(writer: WARCWriter, caps: list[CaptureSpec]) -> Any:
    # The warcinfo ID/date derive from the capture list so the file stays reproducible.
    key = "\n".join(f"{c.timestamp} {c.url}" for c in caps)
    first = min((c.timestamp for c in caps), default="19960101000000")
    info = b"software: policyarchive warcbuild\r\nformat: WARC File Format 1.0\r\n"
    return writer.create_warc_record(
        "",
        "warcinfo",
        payload=BytesIO(info),
        length=len(info),
        warc_content_type="application/warc-fields",
        warc_headers_dict={
            "WARC-Record-ID": record_id(hashlib.sha256(key.encode()).hexdigest(), first, "info"),
            "WARC-Date": warc_date(first),
        },
    )


def build_warc(records: Iterable[CaptureSpec], path: Path) -> None:
    """Write ``records`` (in the given order) to ``path`` as a gzipped WARC.

    The file is written under a temporary name and renamed when complete. Raises
    :class:`SpecError` on duplicate (url, timestamp) pairs or a revisit with nothing to
    point at.
    """
    caps = list(records)
    seen: set[tuple[str, str]] = set()
    for cap in caps:
        key = (cap.url, cap.timestamp)
        if key in seen:
            raise SpecError(f"duplicate capture {cap.url} @ {cap.timestamp}")
        seen.add(key)

    # Revisits point at the earliest earlier full capture of the same URL and bytes.
    originals: dict[tuple[str, str], _Written] = {}
    for cap in sorted(caps, key=lambda c: c.timestamp):
        if not cap.revisit:
            originals.setdefault(
                (cap.url, cap.sha1_digest),
                _Written(cap.url, cap.timestamp, cap.sha1_digest, cap.body),
            )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(_warcinfo(writer, caps))
        for cap in caps:
            writer.write_record(_record(writer, cap, originals))
    os.replace(tmp, path)
    logger.debug("wrote %d captures to %s", len(caps), path)


def _record(
    writer: WARCWriter, cap: CaptureSpec, originals: dict[tuple[str, str], _Written]
) -> Any:
    http_headers = _http_headers(cap)
    if cap.revisit:
        orig = originals.get((cap.url, cap.sha1_digest))
        if orig is None or orig.timestamp >= cap.timestamp:
            raise SpecError(
                f"{cap.url} @ {cap.timestamp}: revisit with no earlier capture of the same bytes"
            )
        return writer.create_revisit_record(
            cap.url,
            digest=f"sha1:{cap.sha1_digest}",
            refers_to_uri=orig.url,
            refers_to_date=warc_date(orig.timestamp),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Record-ID": record_id(cap.url, cap.timestamp, "revisit"),
                "WARC-Date": warc_date(cap.timestamp),
                "WARC-Refers-To": record_id(orig.url, orig.timestamp, "response"),
            },
        )
    return writer.create_warc_record(
        cap.url,
        "response",
        payload=BytesIO(cap.body),
        length=len(cap.body),
        http_headers=http_headers,
        warc_headers_dict={
            "WARC-Record-ID": record_id(cap.url, cap.timestamp, "response"),
            "WARC-Date": warc_date(cap.timestamp),
        },
    )


def _default_body(status: int, location: str | None) -> bytes:
    reason = REASONS.get(status, "Status")
    if location:
        text = (
            f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1>"
            f'<p>The document has moved <a href="{location}">here</a>.</p></body></html>\n'
        )
    else:
        text = (
            f"<html><head><title>{status} {reason}</title></head>"
            f"<body><h1>{reason}</h1></body></html>\n"
        )
    return text.encode("utf-8")


def capture_from_dict(entry: dict[str, Any], base: Path, index: int = 0) -> CaptureSpec:
    """One spec entry as a :class:`CaptureSpec`; ``file`` paths resolve against ``base``."""
    where = f"capture #{index}"
    try:
        url = str(entry["url"])
        ts = str(entry["timestamp"])
    except KeyError as exc:
        raise SpecError(f"{where}: missing key {exc.args[0]!r}") from exc
    where = f"capture #{index} ({url} @ {ts})"
    status = int(entry.get("status", 200))
    location = entry.get("location")
    if "file" in entry and "text" in entry:
        raise SpecError(f"{where}: give either 'file' or 'text', not both")
    if "file" in entry:
        file = base / str(entry["file"])
        if not file.is_file():
            raise SpecError(f"{where}: page file not found: {file}")
        body = file.read_bytes()
    elif "text" in entry:
        body = str(entry["text"]).encode("utf-8")
    elif status == 200:
        raise SpecError(f"{where}: a 200 capture needs 'file' or 'text'")
    else:
        body = _default_body(status, location)
    headers = entry.get("headers") or {}
    if not isinstance(headers, dict):
        raise SpecError(f"{where}: 'headers' must be an object")
    try:
        return CaptureSpec(
            url=url,
            timestamp=ts,
            status=status,
            body=body,
            content_type=str(entry.get("content_type", DEFAULT_CONTENT_TYPE)),
            headers=tuple((str(k), str(v)) for k, v in headers.items()),
            location=str(location) if location else None,
            revisit=bool(entry.get("revisit", False)),
        )
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from exc


def load_spec(path: Path) -> list[CaptureSpec]:
    """Read a JSON capture spec; page files are resolved relative to the spec's folder."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}: not valid JSON: {exc}") from exc
    entries = data.get("captures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SpecError(f"{path}: expected an object with a 'captures' list")
    return [capture_from_dict(e, path.parent, i) for i, e in enumerate(entries)]
