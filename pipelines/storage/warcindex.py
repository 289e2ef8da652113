"""A CDX-like index of local archive files, in SQLite on disk: memory stays flat.

One pass over the files (pipelines/storage/warcread.py) fills ``captures`` (url key, time,
status, mime, digest, file, offset, length), ``broken`` (records that could not be read)
and ``pages`` (a WACZ's ``pages/pages.jsonl``). A WACZ with an index (``indexes/*.cdx.gz``
or ``*.cdxj``, or a ZipNum ``*.idx`` over them) is indexed from it without reading its
WARCs; otherwise its WARCs are scanned like plain files.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.storage.warcread import (
    WACZ_SEP,
    Broken,
    Record,
    find_archive_files,
    scan,
    wacz_members,
)
from pipelines.storage.warcwrite import surt

logger = logging.getLogger(__name__)

BATCH = 5000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS captures (
    urlkey TEXT NOT NULL, ts TEXT NOT NULL, url TEXT NOT NULL, status TEXT NOT NULL,
    mime TEXT NOT NULL, digest TEXT NOT NULL, kind TEXT NOT NULL,
    file INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS broken (
    file INTEGER NOT NULL, offset INTEGER NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (url TEXT NOT NULL, ts TEXT);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS captures_key ON captures (urlkey, ts);
CREATE INDEX IF NOT EXISTS captures_digest ON captures (digest);
"""


@dataclass(frozen=True)
class Row:
    urlkey: str
    ts: str
    url: str
    status: str
    mime: str
    digest: str
    kind: str
    file: str
    offset: int
    length: int


def _cdxj_records(lines: Iterable[str]) -> Iterator[tuple[Record, str]]:
    """(record, filename) from CDXJ lines ``surt ts {json}``; bad lines are skipped."""
    for line in lines:
        parts = line.strip().split(" ", 2)
        if len(parts) != 3 or not parts[2].startswith("{"):
            continue
        try:
            obj = json.loads(parts[2])
            offset, length = int(obj["offset"]), int(obj["length"])
            url, filename = str(obj["url"]), str(obj["filename"])
        except (ValueError, KeyError, TypeError):
            continue
        mime = str(obj.get("mime") or "unk")
        kind = "revisit" if mime == "warc/revisit" else "response"
        status = "-" if kind == "revisit" else str(obj.get("status") or "200")
        digest = str(obj.get("digest") or "").split(":", 1)[-1]
        ts = (parts[1] + "00000000000000")[:14]
        yield Record(kind, url, ts, status, mime, digest, offset, length), filename


def _wacz_index_lines(zf: zipfile.ZipFile) -> Iterator[str] | None:
    names = zf.namelist()
    cdx = [n for n in names if n.startswith("indexes/") and n.endswith((".cdx.gz", ".cdxj"))]
    cdx += [n for n in names if n.startswith("indexes/") and n.endswith(".cdx")]
    if not cdx:
        return None

    def lines() -> Iterator[str]:
        for n in cdx:
            with zf.open(n) as raw:
                # a ZipNum index is a series of gzip members: read as one stream of lines
                stream = gzip.GzipFile(fileobj=raw) if n.endswith(".gz") else raw
                yield from io.TextIOWrapper(stream, encoding="utf-8", errors="replace")

    return lines()


class WarcIndex:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(_SCHEMA)
        self._file_ids: dict[str, int] = {}
        self.wacz_indexes = 0  # WACZ files indexed from their own CDX index (not scanned)

    def close(self) -> None:
        self.db.close()

    # -- building -------------------------------------------------------------------------
    def _file_id(self, name: str) -> int:
        fid = self._file_ids.get(name)
        if fid is None:
            cur = self.db.execute("INSERT OR IGNORE INTO files (name) VALUES (?)", (name,))
            row = self.db.execute("SELECT id FROM files WHERE name = ?", (name,)).fetchone()
            fid = self._file_ids[name] = int(row[0])
            del cur
        return fid

    def add_files(self, paths: list[Path]) -> tuple[int, int]:
        """Index every archive file under ``paths``; returns (records, broken records)."""
        records = broken = 0
        for path in find_archive_files(paths):
            if path.name.lower().endswith(".wacz"):
                r, b = self._add_wacz(path)
            else:
                r, b = self._add_member(str(path.resolve()), scan(str(path.resolve())))
            records, broken = records + r, broken + b
        self.db.executescript(_INDEXES)
        self.db.commit()
        return records, broken

    def _add_member(self, name: str, items: Iterable[Record | Broken]) -> tuple[int, int]:
        fid = self._file_id(name)
        return self._store((fid, item) for item in items)

    def _store(self, items: Iterable[tuple[int, Record | Broken]]) -> tuple[int, int]:
        records = broken = 0
        batch: list[tuple[object, ...]] = []
        for fid, item in items:
            if isinstance(item, Broken):
                broken += 1
                self.db.execute(
                    "INSERT INTO broken VALUES (?, ?, ?)", (fid, item.offset, item.detail)
                )
                continue
            records += 1
            batch.append(
                (
                    surt(item.url),
                    item.ts,
                    item.url,
                    item.status,
                    item.mime,
                    item.digest,
                    item.kind,
                    fid,
                    item.offset,
                    item.length,
                )
            )
            if len(batch) >= BATCH:
                self._flush(batch)
        self._flush(batch)
        return records, broken

    def _flush(self, batch: list[tuple[object, ...]]) -> None:
        if batch:
            self.db.executemany("INSERT INTO captures VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
            self.db.commit()
            batch.clear()

    def _add_wacz(self, path: Path) -> tuple[int, int]:
        wacz = str(path.resolve())
        with zipfile.ZipFile(path) as zf:
            self._add_pages(zf)
            lines = _wacz_index_lines(zf)
            if lines is not None:
                items = (
                    (self._file_id(f"{wacz}{WACZ_SEP}archive/{filename}"), rec)
                    for rec, filename in _cdxj_records(lines)
                )
                got = self._store(items)
                if got[0]:
                    self.wacz_indexes += 1
                    return got
        records = broken = 0
        for member in wacz_members(Path(wacz)):
            r, b = self._add_member(member, scan(member))
            records, broken = records + r, broken + b
        return records, broken

    def _add_pages(self, zf: zipfile.ZipFile) -> None:
        names = [n for n in zf.namelist() if n.startswith("pages/") and n.endswith(".jsonl")]
        for n in names:
            with zf.open(n) as raw:
                for line in io.TextIOWrapper(raw, encoding="utf-8", errors="replace"):
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(obj, dict) and obj.get("url"):
                        ts = str(obj.get("ts") or "")
                        self.db.execute("INSERT INTO pages VALUES (?, ?)", (obj["url"], ts))
        self.db.commit()

    # -- reading --------------------------------------------------------------------------
    def _rows(self, sql: str, args: tuple[object, ...]) -> list[Row]:
        q = (
            "SELECT c.urlkey, c.ts, c.url, c.status, c.mime, c.digest, c.kind, f.name, "
            "c.offset, c.length FROM captures c JOIN files f ON f.id = c.file " + sql
        )
        return [Row(*r) for r in self.db.execute(q, args)]

    def captures(self, url: str, from_ts: str = "", to_ts: str = "99999999999999") -> list[Row]:
        return self._rows(
            "WHERE c.urlkey = ? AND c.ts >= ? AND c.ts <= ? ORDER BY c.ts",
            (surt(url), from_ts, to_ts),
        )

    def at(self, url: str, ts: str) -> Row | None:
        rows = self._rows("WHERE c.urlkey = ? AND c.ts = ? LIMIT 1", (surt(url), ts))
        return rows[0] if rows else None

    def original_of(self, digest: str, url: str, ts: str) -> Row | None:
        """The stored payload a revisit record refers to: same digest, same URL first, then
        the capture nearest in time."""
        rows = self._rows(
            "WHERE c.digest = ? AND c.kind != 'revisit' "
            "ORDER BY (c.urlkey = ?) DESC, abs(CAST(c.ts AS INTEGER) - CAST(? AS INTEGER)) "
            "LIMIT 1",
            (digest, surt(url), ts),
        )
        return rows[0] if rows else None

    def time_span(self) -> tuple[str, str] | None:
        row = self.db.execute("SELECT min(ts), max(ts) FROM captures").fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def urls(self) -> Iterator[str]:
        for (url,) in self.db.execute("SELECT DISTINCT url FROM captures"):
            yield url

    def pages(self) -> list[tuple[str, str]]:
        return [(u, t) for u, t in self.db.execute("SELECT url, ts FROM pages")]

    def broken(self) -> list[tuple[str, int, str]]:
        q = "SELECT f.name, b.offset, b.detail FROM broken b JOIN files f ON f.id = b.file"
        return [(n, int(o), d) for n, o, d in self.db.execute(q)]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM captures").fetchone()[0])
