"""Typed, validated spider arguments: a bad argument fails at start, naming itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.sites import SiteEntry, SitesFileError, read_sites_file
from pipelines.history.periods import EVERY_CHOICES, DateArgError, parse_date_arg

DEFAULT_ARCHIVE = "https://web.archive.org"


class ArgumentError(ValueError):
    """A spider argument is missing or invalid; the message names the argument."""


def _sites(value: Any) -> tuple[Path, list[SiteEntry]]:
    if not value:
        raise ArgumentError("argument 'sites' is required: a file with one site per line")
    path = Path(str(value))
    if path.is_dir():
        raise ArgumentError(f"argument 'sites': {path} is a directory, not a sites file")
    if not path.is_file():
        raise ArgumentError(f"argument 'sites': no such file: {path}")
    try:
        entries = read_sites_file(path)
    except SitesFileError:
        raise
    except OSError as exc:  # permission denied, an I/O error: a sentence, not a traceback
        raise ArgumentError(f"argument 'sites': cannot read {path}: {exc.strerror}") from None
    if not entries:
        raise ArgumentError(f"argument 'sites': {path} lists no sites")
    return path, entries


def _archives(value: Any) -> tuple[str, ...]:
    """``--archive`` values (a list, or one string of them separated by spaces: ``-a``)."""
    from crawler.archive.sources import ArchiveSpecError, parse_archive_spec

    items = value if isinstance(value, list | tuple) else str(value or "").split()
    specs = [str(v).strip() for v in items if str(v).strip()] or [DEFAULT_ARCHIVE]
    out: list[str] = []
    for spec in specs:
        try:
            parsed = parse_archive_spec(spec)
        except ArchiveSpecError as exc:
            raise ArgumentError(f"argument 'archive': {exc}") from exc
        out.append(spec.rstrip("/") if parsed.kind == "wayback" else spec)
    return tuple(dict.fromkeys(out))


def _base_url(value: Any, name: str, default: str) -> str:
    url = str(value or default).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(f"argument '{name}': not an http(s) URL: {url!r}")
    return url


def _every(value: Any) -> str:
    every = str(value or "half")
    if every not in EVERY_CHOICES:
        raise ArgumentError(f"argument 'every': {every!r} is not one of {', '.join(EVERY_CHOICES)}")
    return every


@dataclass(frozen=True)
class LiveArgs:
    sites_path: Path
    sites: list[SiteEntry]
    every: str = "half"
    save_to_archive: bool = False

    @classmethod
    def from_kwargs(cls, kw: dict[str, Any]) -> LiveArgs:
        path, entries = _sites(kw.get("sites"))
        save = str(kw.get("save_to_archive", "")).lower() in ("1", "true", "yes", "on")
        return cls(path, entries, _every(kw.get("every")), save)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": str(self.sites_path),
            "every": self.every,
            "save_to_archive": self.save_to_archive,
            "site_count": len(self.sites),
        }


@dataclass(frozen=True)
class WaybackArgs:
    sites_path: Path
    sites: list[SiteEntry]
    start: datetime
    end: datetime
    every: str
    archive: str  # the run's archive key (resume state): the archives, space-separated
    archives: tuple[str, ...] = (DEFAULT_ARCHIVE,)  # --archive values (crawler/archive/sources.py)
    cc_index: str = "https://index.commoncrawl.org"  # where collinfo.json lives
    cc_data: str = "https://data.commoncrawl.org"  # the host Common Crawl filenames are under

    @classmethod
    def from_kwargs(cls, kw: dict[str, Any]) -> WaybackArgs:
        path, entries = _sites(kw.get("sites"))
        raw_from, raw_to = kw.get("from") or kw.get("from_"), kw.get("to")
        if not raw_from or not raw_to:
            raise ArgumentError("arguments 'from' and 'to' are required (a year or a date)")
        try:
            start = parse_date_arg(str(raw_from))
        except DateArgError as exc:
            raise ArgumentError(f"argument 'from': {exc}") from exc
        try:
            end = parse_date_arg(str(raw_to), end=True)
        except DateArgError as exc:
            raise ArgumentError(f"argument 'to': {exc}") from exc
        if end <= start:
            raise ArgumentError(f"argument 'to' ({raw_to}) must not be before 'from' ({raw_from})")
        archives = _archives(kw.get("archive"))
        cc_index = _base_url(kw.get("cc_index"), "cc_index", cls.cc_index)
        cc_data = _base_url(kw.get("cc_data"), "cc_data", cls.cc_data)
        key = " ".join(archives)
        return cls(
            path, entries, start, end, _every(kw.get("every")), key, archives, cc_index, cc_data
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": str(self.sites_path),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "every": self.every,
            "archive": self.archive,
            "archives": list(self.archives),
            "cc_index": self.cc_index,
            "cc_data": self.cc_data,
            "site_count": len(self.sites),
        }
