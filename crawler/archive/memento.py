"""Memento (RFC 7089) archives: link-format TimeMaps and raw memento URLs.

Pure functions only; the async glue is in crawler/archive/sources.py.

A TimeMap is a list of link-values (RFC 8288 / RFC 6690 link format)::

    <http://a.example/>; rel="original",
    <https://arch.example/tm/http://a.example/>; rel="self"; from="…"; until="…",
    <https://arch.example/tm/2/http://a.example/>; rel="timemap"; from="…",
    <https://arch.example/20090101000000/http://a.example/?q=1,2>; rel="first memento";
        datetime="Thu, 01 Jan 2009 00:00:00 GMT",

URLs may hold commas and semicolons, quoted values may hold both, ``rel`` may hold several
tokens, and long TimeMaps are split into pages that point at each other with
``rel="timemap"`` (and their ``from``/``until``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_TS14 = re.compile(r"^(?P<prefix>.*?/)(?P<ts>\d{14})(?P<mod>[a-z]{2}_|id_)?/(?P<orig>.+)$")
LINK_FORMAT = "application/link-format"


@dataclass(frozen=True)
class Link:
    uri: str
    rels: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Memento:
    uri: str  # the memento as the archive lists it
    when: datetime  # UTC
    original: str  # the page's URL as archived

    @property
    def timestamp(self) -> str:
        return self.when.strftime("%Y%m%d%H%M%S")


@dataclass
class TimeMapPage:
    original: str | None = None
    mementos: list[Memento] = field(default_factory=list)
    pages: list[Link] = field(default_factory=list)  # other TimeMap pages it links
    malformed: int = 0


def _quoted(text: str, i: int) -> tuple[str, int]:
    """A quoted-string starting at text[i] == '"' → (value, index after the closing quote)."""
    out: list[str] = []
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i  # unterminated: take the rest


def parse_link_format(text: str) -> tuple[list[Link], int]:
    """(links, malformed entries) of a link-format document.

    A scanner, not a split on commas: commas and semicolons inside ``<…>`` and inside quoted
    values belong to them. An entry that does not start with ``<`` is skipped to the next
    top-level comma and counted.
    """
    links: list[Link] = []
    bad = 0
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n:
            break
        if text[i] != "<":
            bad += 1
            while i < n and text[i] != ",":  # skip to the next entry
                if text[i] == '"':
                    _, i = _quoted(text, i)
                    continue
                i += 1
            continue
        end = text.find(">", i + 1)
        if end < 0:
            bad += 1
            break
        uri = text[i + 1 : end].strip()
        i = end + 1
        params: dict[str, str] = {}
        while True:
            while i < n and text[i] in " \t\r\n":
                i += 1
            if i >= n or text[i] != ";":
                break
            i += 1
            while i < n and text[i] in " \t\r\n":
                i += 1
            m = re.compile(r"[A-Za-z0-9!#$&+\-.^_`|~*]+").match(text, i)
            if not m:
                break
            name = m.group(0).lower()
            i = m.end()
            while i < n and text[i] in " \t":
                i += 1
            value = ""
            if i < n and text[i] == "=":
                i += 1
                while i < n and text[i] in " \t":
                    i += 1
                if i < n and text[i] == '"':
                    value, i = _quoted(text, i)
                else:
                    m = re.compile(r"[^;,\s]*").match(text, i)
                    assert m is not None
                    value, i = m.group(0), m.end()
            params.setdefault(name, value)  # RFC 8288: the first occurrence counts
        rels = tuple(params.get("rel", "").lower().split())
        links.append(Link(uri, rels, params))
    return links, bad


def http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def split_memento(uri: str) -> tuple[str, str, str] | None:
    """``<prefix><14-digit ts>[mod]/<original>`` → (prefix, ts, original); None otherwise."""
    m = _TS14.match(uri)
    if m is None:
        return None
    orig = m["orig"]
    if orig.startswith(("http:/", "https:/")) and not orig.startswith(("http://", "https://")):
        orig = orig.replace(":/", "://", 1)  # proxies collapse '//' in paths
    return m["prefix"], m["ts"], orig


def raw_memento_url(uri: str) -> str:
    """The archive's raw (``id_``) form of a memento URL with the ``/<ts>/`` shape, else the
    URL itself: the bytes as archived, not a page rewritten for replay."""
    m = _TS14.match(uri)
    if m is None:
        return uri
    return f"{m['prefix']}{m['ts']}id_/{m['orig']}"


def parse_timemap(text: str, base_url: str = "") -> TimeMapPage:
    """One TimeMap page: its mementos (each with its datetime), and links to other pages."""
    links, bad = parse_link_format(text)
    page = TimeMapPage(malformed=bad)
    for link in links:
        if "original" in link.rels and page.original is None:
            page.original = link.uri
    for link in links:
        if "memento" in link.rels:
            split = split_memento(link.uri)
            when = http_date(link.params.get("datetime", ""))
            if when is None and split is not None:
                when = datetime.strptime(split[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            if when is None:
                page.malformed += 1
                continue
            original = split[2] if split else (page.original or base_url)
            page.mementos.append(Memento(link.uri, when, original))
        elif "timemap" in link.rels and "self" not in link.rels:
            kind = link.params.get("type", LINK_FORMAT).lower()
            if kind.startswith(LINK_FORMAT):
                page.pages.append(link)
    return page


def pages_to_follow(
    pages: Iterable[Link], seen: set[str], start: datetime, end: datetime
) -> list[str]:
    """TimeMap pages not read yet whose ``from``/``until`` (when given) meet [start, end]."""
    out: list[str] = []
    for link in pages:
        if link.uri in seen or link.uri in out:
            continue
        since = http_date(link.params.get("from", ""))
        until = http_date(link.params.get("until", ""))
        if (since and since > end) or (until and until < start):
            continue
        out.append(link.uri)
    return out
