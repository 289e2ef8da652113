"""Write what a crawl fetched as WARC/1.1: rotating gzip-per-record files and a CDXJ index.

One :class:`WarcOut` per run writes into a directory:

* ``<prefix>-<run_id>-<seq>.warc.gz``: a ``warcinfo`` record first, then per capture a
  ``request`` (live fetches only), a ``response`` — or a ``revisit`` when the same payload
  was already written in this run — and a ``metadata`` record naming the run and, for an
  archived capture, the archive URL it was replayed from. ``WARC-Target-URI`` is the original
  URL and ``WARC-Date`` the capture time (for an archived capture, the archive's timestamp).
* A file is written as ``….warc.gz.open`` and renamed when it is closed (at rotation, at the
  end of the run). Each record is one gzip member written whole, so a killed run leaves an
  ``.open`` file whose records all read back, except at most the last one.
* ``index.cdxj`` beside them, sorted (pywb's ``cdxj`` form: ``surt timestamp {json}``),
  rewritten at each file's close with that file's records merged in.

The record building is pure (:func:`http_headers`, :func:`surt`, :func:`cdxj_line`); the
class does the file handling.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import os
import re
from base64 import b32encode
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1_000_000_000  # rotate before a file reaches 1 GB
OPEN_SUFFIX = ".open"
INDEX_NAME = "index.cdxj"
# headers that describe the transfer, not the document: the body we store is decoded
_TRANSFER = {"content-encoding", "transfer-encoding", "content-length"}
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other"}
_REASONS |= {
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    403: "Forbidden",
}
_REASONS |= {404: "Not Found", 410: "Gone", 500: "Internal Server Error"}
_WWW = re.compile(r"^www\d*\.")
# per lookup table (payloads, captures written, body → record): ~200 bytes an entry, so a
# long run stays near 100 MB here at most; items follow their response within seconds
_KEEP = 200_000


def warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts14(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def sha1_b32(data: bytes) -> str:
    return b32encode(hashlib.sha1(data).digest()).decode("ascii")  # noqa: S324 (WARC's digest)


def surt(url: str) -> str:
    """The SURT key pywb sorts a CDXJ index by: ``com,example)/path?query`` (lowercased,
    ``www.`` and the scheme dropped, query arguments sorted)."""
    s = urlsplit(url if "://" in url else "http://" + url)
    host = _WWW.sub("", (s.hostname or "").lower())
    parts = host.split(".")
    key = ",".join(reversed(parts))
    if s.port and s.port not in (80, 443):
        key += f":{s.port}"
    path = s.path.lower() or "/"
    query = "&".join(sorted(s.query.lower().split("&"))) if s.query else ""
    return f"{key}){path}" + (f"?{query}" if query else "")


def cdxj_line(
    url: str,
    ts: str,
    *,
    mime: str,
    status: str,
    digest: str,
    length: int,
    offset: int,
    filename: str,
) -> str:
    fields = {
        "url": url,
        "mime": mime,
        "status": status,
        "digest": digest,
        "length": str(length),
        "offset": str(offset),
        "filename": filename,
    }
    return f"{surt(url)} {ts} {json.dumps(fields, separators=(', ', ': '))}"


def http_headers(
    status: int, headers: list[tuple[str, str]], body_length: int, *, protocol: str = "HTTP/1.1"
) -> StatusAndHeaders:
    """The stored response's HTTP head: the body is stored decoded, so the transfer headers
    go and ``Content-Length`` says the stored length."""
    kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER]
    kept.append(("Content-Length", str(body_length)))
    line = f"{status} {_REASONS.get(status, 'Unknown')}"
    return StatusAndHeaders(line, kept, protocol=protocol)


def mime_of(headers: list[tuple[str, str]]) -> str:
    for k, v in headers:
        if k.lower() == "content-type":
            return v.split(";")[0].strip().lower() or "unk"
    return "unk"


@dataclass
class Capture:
    """One response to store."""

    url: str  # the original URL
    captured_at: datetime
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    archive_url: str | None = None  # where an archived capture was replayed from
    request_headers: list[tuple[str, str]] | None = None  # live fetches: the request we sent
    method: str = "GET"
    ip_address: str | None = None


@dataclass(frozen=True)
class Stored:
    filename: str  # the final name, relative to the WARC directory
    offset: int
    length: int
    revisit: bool


class WarcOut:
    """Rotating WARC/1.1 writer for one run (not thread-safe: one caller at a time)."""

    def __init__(
        self,
        directory: str | Path,
        run_id: str,
        *,
        prefix: str = "policyarchive",
        max_bytes: int = DEFAULT_MAX_BYTES,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = {"software": "policyarchive", "format": "WARC File Format 1.1", **(info or {})}
        self.seq = 0
        self.fh: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.name = ""
        self.lines: list[str] = []  # CDXJ lines of the open file
        # sha1 payload digest → (uri, date) of its response; bounded: a payload seen long
        # ago is written again in full rather than as a revisit (still valid WARC)
        self.payloads: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.by_sha256: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self.files: list[str] = []
        self.records = 0
        self.written: OrderedDict[str, None] = OrderedDict()  # "<ts14> <url>" stored (bounded)

    # -- files ----------------------------------------------------------------------------
    def _open(self) -> None:
        self.seq += 1
        self.name = f"{self.prefix}-{self.run_id}-{self.seq:05d}.warc.gz"
        self.fh = open(self.dir / (self.name + OPEN_SUFFIX), "wb")  # noqa: SIM115 (kept open)
        self.writer = WARCWriter(self.fh, gzip=True, warc_version="WARC/1.1")
        info = self.writer.create_warcinfo_record(self.name, {**self.info, "run-id": self.run_id})
        self.writer.write_record(info)
        self.fh.flush()

    def _close_file(self) -> None:
        if self.fh is None:
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self.fh = self.writer = None
        os.replace(self.dir / (self.name + OPEN_SUFFIX), self.dir / self.name)
        self.files.append(self.name)
        self._merge_index(self.lines)
        self.lines = []

    def _merge_index(self, lines: list[str]) -> None:
        """Merge one file's lines into the sorted index, streaming the existing index (its
        size does not matter; one file's lines are held, at most some 100,000)."""
        path = self.dir / INDEX_NAME
        tmp = path.with_suffix(".cdxj.tmp")
        new = sorted(line + "\n" for line in lines)
        with tmp.open("w", encoding="utf-8") as out:
            if path.exists():
                with path.open(encoding="utf-8") as old:
                    out.writelines(heapq.merge(old, new))
            else:
                out.writelines(new)
        os.replace(tmp, path)

    def close(self) -> None:
        self._close_file()

    # -- records --------------------------------------------------------------------------
    def has(self, url: str, when: datetime) -> bool:
        return f"{ts14(when)} {url}" in self.written

    def knows_payload(self, sha1_base32: str) -> bool:
        return sha1_base32 in self.payloads

    def write(self, cap: Capture) -> Stored:
        """Store one capture: request (live), response or revisit, metadata."""
        self._remember(self.written, f"{ts14(cap.captured_at)} {cap.url}", None)
        if self.fh is not None and self.fh.tell() + len(cap.body) + 16_384 > self.max_bytes:
            self._close_file()  # rotate: the next group would take the file past the cap
        if self.fh is None:
            self._open()
        assert self.fh is not None and self.writer is not None
        w = self.writer
        date = warc_date(cap.captured_at)
        digest = sha1_b32(cap.body)
        head = http_headers(cap.status, cap.headers, len(cap.body))
        base = {"WARC-Date": date}
        if cap.ip_address:
            base["WARC-IP-Address"] = cap.ip_address
        earlier = self.payloads.get(digest)
        if earlier is not None:
            rec = w.create_revisit_record(
                cap.url, "sha1:" + digest, earlier[0], earlier[1], http_headers=head
            )
            rec.rec_headers.replace_header("WARC-Date", date)
        else:
            rec = w.create_warc_record(
                cap.url,
                "response",
                payload=BytesIO(cap.body),
                length=len(cap.body),
                http_headers=head,
                warc_headers_dict=base,
            )
            self._remember(self.payloads, digest, (cap.url, date))
        rec_id = rec.rec_headers.get_header("WARC-Record-ID")
        if cap.request_headers is not None:
            s = urlsplit(cap.url)
            target = (s.path or "/") + (f"?{s.query}" if s.query else "")
            req_head = StatusAndHeaders(
                f"{cap.method} {target} HTTP/1.1",
                [("Host", s.netloc), *[(k, v) for k, v in cap.request_headers if k != "Host"]],
                is_http_request=True,
            )
            req = w.create_warc_record(
                cap.url,
                "request",
                http_headers=req_head,
                warc_headers_dict={**base, "WARC-Concurrent-To": rec_id},
            )
            w.write_record(req)
        offset = self.fh.tell()
        w.write_record(rec)
        length = self.fh.tell() - offset
        self._metadata(cap.url, date, rec_id, cap.archive_url)
        self.fh.flush()  # every record whole on disk before the next one starts
        self.records += 1
        revisit = earlier is not None
        self.lines.append(
            cdxj_line(
                cap.url,
                ts14(cap.captured_at),
                mime="warc/revisit" if revisit else mime_of(cap.headers),
                status="-" if revisit else str(cap.status),
                digest=digest,
                length=length,
                offset=offset,
                filename=self.name,
            )
        )
        stored = Stored(self.name, offset, length, revisit)
        key = hashlib.sha256(cap.body).hexdigest()
        if not revisit:
            self._remember(self.by_sha256, key, (self.name, offset))
        return stored

    @staticmethod
    def _remember(d: OrderedDict[str, Any], key: str, value: Any) -> None:
        d[key] = value
        if len(d) > _KEEP:
            d.popitem(last=False)

    def write_revisit(
        self,
        url: str,
        when: datetime,
        sha1_base32: str,
        status: int,
        headers: list[tuple[str, str]],
        archive_url: str | None = None,
    ) -> Stored | None:
        """A capture known only by its payload digest, which an earlier record holds."""
        earlier = self.payloads.get(sha1_base32)
        if earlier is None:
            return None
        if self.fh is None:
            self._open()
        assert self.fh is not None and self.writer is not None
        self._remember(self.written, f"{ts14(when)} {url}", None)
        date = warc_date(when)
        head = http_headers(status, headers, 0)
        rec = self.writer.create_revisit_record(
            url, "sha1:" + sha1_base32, earlier[0], earlier[1], http_headers=head
        )
        rec.rec_headers.replace_header("WARC-Date", date)
        offset = self.fh.tell()
        self.writer.write_record(rec)
        length = self.fh.tell() - offset
        self._metadata(url, date, rec.rec_headers.get_header("WARC-Record-ID"), archive_url)
        self.fh.flush()
        self.records += 1
        self.lines.append(
            cdxj_line(
                url,
                ts14(when),
                mime="warc/revisit",
                status="-",
                digest=sha1_base32,
                length=length,
                offset=offset,
                filename=self.name,
            )
        )
        return Stored(self.name, offset, length, True)

    def _metadata(self, url: str, date: str, rec_id: str, archive_url: str | None) -> None:
        assert self.writer is not None
        meta = [f"run-id: {self.run_id}"]
        if archive_url:
            meta.append(f"archive-url: {archive_url}")
        metadata = self.writer.create_warc_record(
            url,
            "metadata",
            payload=BytesIO(("\r\n".join(meta) + "\r\n").encode()),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": rec_id},
        )
        self.writer.write_record(metadata)

    def locate(self, content_digest: str) -> tuple[str, int] | None:
        """Where the response record holding this body (sha256 hex) was written."""
        return self.by_sha256.get(content_digest)
