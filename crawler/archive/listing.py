"""One CDX query for a whole host: the captures of every URL on it, grouped by URL.

A site found through its homepage asks the archive's index about the homepage, then about
each privacy link the homepage had and each common policy path it probes: one CDX query
each, and the CDX API is the part of the Internet Archive with the tightest rate limit.
One prefix query for the host (``url=host/&matchType=prefix``) answers all of them for a
host small enough to list in one page, and still answers the homepage for a bigger one
(an index is sorted by URL key, and the homepage's key sorts first on its host).

Pure: building and reading a listing does no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from waybackpy.cdx_snapshot import CDXSnapshot

_WWW = re.compile(r"^www\d*\.")


def _host_key(s: SplitResult) -> str:
    host = _WWW.sub("", (s.hostname or "").lower())
    try:
        port = s.port
    except ValueError:  # a malformed port: keep the URL distinct rather than fail
        port = None
    return f"{host}:{port}" if port and port not in (80, 443) else host


def _split(url: str) -> SplitResult:
    return urlsplit(url if "://" in url else "http://" + url)


def capture_key(url: str) -> str:
    """The key that captures of one document share in an archive's index.

    Close to the Internet Archive's SURT canonicalisation: scheme, a leading ``www.``,
    default ports, the fragment, letter case, the order of query arguments and a trailing
    slash do not matter.
    """
    s = _split(url)
    path = s.path.lower().rstrip("/")
    query = "&".join(sorted(s.query.lower().split("&"))) if s.query else ""
    return f"{_host_key(s)}{path or '/'}" + (f"?{query}" if query else "")


def host_prefix(url: str) -> str:
    """The CDX prefix query's ``url`` for every URL on ``url``'s host (``www.`` or not)."""
    return _host_key(_split(url)) + "/"


def _host(key: str) -> str:
    return key.split("/", 1)[0]


@dataclass(frozen=True)
class HostListing:
    """A prefix query's answer: captures by URL key, and what the answer can vouch for."""

    query_key: str  # the URL the listing was asked for: the host's root
    groups: dict[str, list[CDXSnapshot]]
    truncated: bool  # the host has more captures than the page held
    last_key: str | None  # its captures may go on past the page
    # the archive is known to answer prefix queries (Common Crawl's index): an empty
    # listing then proves that no URL on the host has a capture
    prefix_known: bool = False

    @classmethod
    def build(
        cls,
        url: str,
        records: list[CDXSnapshot],
        *,
        truncated: bool,
        prefix_known: bool = False,
    ) -> HostListing:
        """``url``: the prefix the query sent (``host_prefix``)."""
        groups: dict[str, list[CDXSnapshot]] = {}
        for rec in records:
            groups.setdefault(capture_key(rec.original), []).append(rec)
        last = capture_key(records[-1].original) if records else None
        return cls(capture_key(url), groups, truncated, last, prefix_known)

    @property
    def honoured_prefix(self) -> bool:
        """Rows for some URL other than the one asked for: the archive listed the host.

        An archive (or a test double) that ignores ``matchType`` answers with the asked
        URL's captures only; its silence about other URLs proves nothing.
        """
        return self.prefix_known or any(key != self.query_key for key in self.groups)

    def captures(self, url: str) -> list[CDXSnapshot] | None:
        """Every capture of ``url`` in the listing, or None when the listing cannot tell.

        It cannot tell for another host, for the URL whose captures the page may have cut
        off, for any URL it does not hold when the host did not fit in the page, and for
        URLs other than the asked one when the archive did not list the host.
        """
        key = capture_key(url)
        if _host(key) != _host(self.query_key):
            return None
        if self.truncated and key == self.last_key:
            return None
        found = self.groups.get(key)
        if found is not None:
            return list(found)
        if self.truncated:
            return None
        if key == self.query_key or self.honoured_prefix:
            return []  # the whole host is listed and this URL has no capture
        return None
