"""Read local web archive files: WARC, WARC.gz, ARC(.gz), and the WARCs inside a WACZ.

A *member name* says where records live: a plain path (``/data/crawl.warc.gz``) or a WACZ
and the WARC inside it (``/data/site.wacz#archive/data.warc.gz``). A WARC stored in a WACZ
without compression (as Browsertrix writes them) is read straight from the zip file at its
data offset: seeking is free and nothing is unzipped to disk.

:func:`scan` walks a file's records and keeps going past a broken one (bad gzip, a cut-off
record, a bad header): it reports it as :class:`Broken` with its offset and resynchronises
on the next gzip member or WARC header. :func:`read_record` reads one record at an offset.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import zipfile
from base64 import b32encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

logger = logging.getLogger(__name__)

WACZ_SEP = "#"
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")
MAX_BODY = 16 * 1024 * 1024  # like DOWNLOAD_MAXSIZE: a bigger payload is not a policy page
_GZ_MAGIC = b"\x1f\x8b\x08"
_RESYNC_CHUNK = 1 << 16


def is_archive_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(ARCHIVE_SUFFIXES) or name.endswith(".warc.gz.open")


def find_archive_files(paths: list[Path]) -> list[Path]:
    """The archive files named, and those in the folders named (recursively), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and is_archive_file(f))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


def split_member(name: str) -> tuple[str, str | None]:
    path, sep, inner = name.partition(".wacz" + WACZ_SEP)
    if sep:
        return path + ".wacz", inner
    return name, None


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``size`` bytes at ``base`` of a file."""

    def __init__(self, fh: IO[bytes], base: int, size: int) -> None:
        self.fh, self.base, self.size, self.pos = fh, base, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        start = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, min(self.size, start + offset))
        return self.pos

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        self.fh.seek(self.base + self.pos)
        data = self.fh.read(n)
        b[: len(data)] = data
        self.pos += len(data)
        return len(data)

    def close(self) -> None:
        self.fh.close()
        super().close()


def _stored_member(path: str, info: zipfile.ZipInfo) -> IO[bytes]:
    fh = open(path, "rb")  # noqa: SIM115 (the window owns it)
    fh.seek(info.header_offset)
    head = fh.read(30)
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    base = info.header_offset + 30 + name_len + extra_len
    return io.BufferedReader(_Window(fh, base, info.file_size), buffer_size=_RESYNC_CHUNK)


@contextmanager
def open_member(name: str) -> Iterator[IO[bytes]]:
    """A seekable binary stream of the member's bytes (a WARC inside a WACZ, or a file)."""
    path, inner = split_member(name)
    if inner is None:
        with open(path, "rb") as fh:
            yield fh
        return
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(inner)
        if info.compress_type == zipfile.ZIP_STORED:
            stream = _stored_member(path, info)
        else:  # deflated: zipfile can seek in it (by decompressing from the start)
            stream = zf.open(info)
        try:
            yield stream
        finally:
            stream.close()


def wacz_members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [
            f"{path}{WACZ_SEP}{n}"
            for n in sorted(zf.namelist())
            if n.startswith("archive/") and is_archive_file(Path(n))
        ]


@dataclass
class Record:
    """One record's index fields (what a CDX line holds), plus its place."""

    kind: str  # response | revisit | resource
    url: str
    ts: str  # 14 digits
    status: str  # HTTP status, or "-" for a revisit without HTTP headers
    mime: str
    digest: str  # payload sha1, base32, without the "sha1:" prefix
    offset: int
    length: int


@dataclass
class Broken:
    offset: int
    detail: str


@dataclass
class Body:
    """A record read back for the document path."""

    kind: str
    url: str
    ts: str
    status: int | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    digest: str = ""
    refers_to_url: str | None = None
    refers_to_date: str | None = None

    @property
    def content_type(self) -> str | None:
        for k, v in self.headers:
            if k.lower() == "content-type":
                return v
        return None

    @property
    def location(self) -> str | None:
        for k, v in self.headers:
            if k.lower() == "location":
                return v
        return None


def _ts14(date: str) -> str:
    digits = "".join(c for c in date if c.isdigit())
    return (digits + "00000000000000")[:14] if len(digits) >= 4 else ""


def _digest(value: str | None) -> str:
    if not value:
        return ""
    return value.split(":", 1)[-1].strip()


def _record_fields(record: Any) -> tuple[str, str, str, str, str, str] | None:
    """(kind, url, ts, status, mime, header digest) of an indexable record, else None."""
    h = record.rec_headers
    kind = record.rec_type
    if kind not in ("response", "revisit", "resource"):
        return None
    url = (h.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not url.startswith(("http://", "https://")):
        return None
    ts = _ts14(h.get_header("WARC-Date") or h.get_header("archive-date") or "")
    if not ts:
        return None
    status, mime = "-", ""
    if record.http_headers is not None and kind != "resource":
        code = record.http_headers.get_statuscode()
        status = code if code and code.isdigit() else "-"
        mime = record.http_headers.get_header("Content-Type") or ""
    elif kind == "resource":
        status, mime = "200", h.get_header("Content-Type") or ""
    if kind == "revisit":
        # like the Internet Archive's CDX: a revisit's status is "-" whatever its HTTP head
        mime, status = "warc/revisit", "-"
    mime = mime.split(";")[0].strip().lower() or "unk"
    return kind, url, ts, status, mime, _digest(h.get_header("WARC-Payload-Digest"))


def _resync(stream: IO[bytes], start: int, gz: bool) -> int | None:
    """The offset of the next gzip member (or WARC/ARC header line) at or after ``start``."""
    stream.seek(start)
    pos = start
    tail = b""
    while True:
        chunk = stream.read(_RESYNC_CHUNK)
        if not chunk:
            return None
        data = tail + chunk
        if gz:
            i = data.find(_GZ_MAGIC)
        else:
            found = [j for j in (data.find(b"\nWARC/1."), data.find(b"\nhttp")) if j >= 0]
            i = min(found) + 1 if found else -1
        if i >= 0:
            return pos - len(tail) + i
        tail = data[-8:]
        pos += len(chunk)


def scan(name: str) -> Iterator[Record | Broken]:
    """Every indexable record of one member, broken ones reported, the rest still read."""
    with open_member(name) as stream:
        head = stream.read(3)
        gz = head == _GZ_MAGIC
        start = 0
        while True:
            stream.seek(start)
            last_end = start
            try:
                it = ArchiveIterator(stream, arc2warc=True, check_digests=False)
                for record in it:
                    fields = _record_fields(record)
                    digest = fields[5] if fields else ""
                    if fields and not digest and fields[0] != "revisit":
                        sha = hashlib.sha1()  # noqa: S324 (the CDX digest is SHA-1)
                        stream_ = record.raw_stream
                        while chunk := stream_.read(_RESYNC_CHUNK):
                            sha.update(chunk)
                        digest = b32encode(sha.digest()).decode("ascii")
                    it.read_to_end(record)
                    offset = start + it.get_record_offset()
                    length = it.get_record_length()
                    if offset < last_end or length <= 0:
                        raise ValueError(f"record boundaries unreadable after offset {last_end}")
                    last_end = offset + length
                    if fields:
                        kind, url, ts, status, mime, _ = fields
                        yield Record(kind, url, ts, status, mime, digest, offset, length)
                stream.seek(last_end)
                rest = stream.read(_RESYNC_CHUNK)
                if rest.strip(b"\r\n\x00 "):  # a record cut short (a kill, a partial copy)
                    stream.seek(0, 2)
                    size = stream.tell() - last_end
                    yield Broken(last_end, f"truncated: {size} bytes after the last whole record")
                return
            except Exception as exc:  # warcio, zlib and chunking errors: report, resync
                detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
                yield Broken(last_end, detail)
                if "beyond single record" in detail:
                    return  # one gzip stream for the whole file: no record can be addressed
                nxt = _resync(stream, last_end + 1, gz)
                if nxt is None or nxt <= start:
                    return
                start = nxt


def read_record(name: str, offset: int, *, max_body: int = MAX_BODY) -> Body:
    """The record at ``offset``: its HTTP head and decoded payload (chunking and
    ``Content-Encoding`` undone, as an HTTP client would give it)."""
    with open_member(name) as stream:
        stream.seek(offset)
        it = ArchiveIterator(stream, arc2warc=True, check_digests=False)
        record = next(iter(it))
        h = record.rec_headers
        kind = record.rec_type
        url = (h.get_header("WARC-Target-URI") or "").strip().strip("<>")
        status: int | None = None
        headers: list[tuple[str, str]] = []
        if record.http_headers is not None and kind != "resource":
            code = record.http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
            headers = list(record.http_headers.headers)
        elif kind == "resource":
            status = 200
            headers = [("Content-Type", h.get_header("Content-Type") or "")]
        body = record.content_stream().read(max_body + 1) if kind != "revisit" else b""
        return Body(
            kind=kind,
            url=url,
            ts=_ts14(h.get_header("WARC-Date") or ""),
            status=status,
            headers=headers,
            body=body,
            digest=_digest(h.get_header("WARC-Payload-Digest")),
            refers_to_url=h.get_header("WARC-Refers-To-Target-URI"),
            refers_to_date=h.get_header("WARC-Refers-To-Date"),
        )
