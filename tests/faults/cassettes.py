"""Recorded real Wayback Machine traffic (YAML cassettes), indexed for replay by path.

The cassettes in ``../shared/data/wayback_api`` were recorded by the ``wayback`` client
against web.archive.org: CDX searches (with resumeKey paging), memento replays, a blocked
URL, archived rate-limit pages, missing mementos. :class:`Cassettes` indexes them so a
local server can answer our crawler's requests with the real bytes and headers:

- CDX by the query's ``url`` (scheme, ``www.``, default port and trailing ``/`` ignored)
  and ``resumeKey``; the other query parameters (limit, output, filters) are ignored.
- replays by their exact ``/web/<timestamp><modifier>/<original URL>`` path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

_HOP_BY_HOP = {"transfer-encoding", "connection", "content-length", "keep-alive"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source: str  # cassette file name


def norm_url(url: str) -> str:
    u = _SCHEME.sub("", url.strip()).lower()
    host, _, path = u.partition("/")
    host = host.removeprefix("www.").removesuffix(":80").removesuffix(":443")
    return f"{host}/{path}".rstrip("/")


def _body(resp: dict) -> bytes:
    raw = resp.get("body", {}).get("string", b"")
    return raw if isinstance(raw, bytes) else raw.encode("utf-8")


class Cassettes:
    def __init__(self, folder: Path) -> None:
        self.cdx: dict[tuple[str, str], list[Recorded]] = defaultdict(list)
        self.replay: dict[str, list[Recorded]] = defaultdict(list)
        # normalised URL → [(timestamp, original, status, mimetype)], recorded replays only
        self.mementos: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for path in sorted(Path(folder).rglob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            for inter in data.get("interactions", []):
                self._add(inter, path.name)

    def _add(self, inter: dict, source: str) -> None:
        uri = inter["request"]["uri"]
        resp = inter["response"]
        headers = tuple(
            (k, v)
            for k, values in resp.get("headers", {}).items()
            if k.lower() not in _HOP_BY_HOP
            for v in values
        )
        rec = Recorded(int(resp["status"]["code"]), headers, _body(resp), source)
        parts = urlsplit(uri)
        if parts.path == "/cdx/search/cdx":
            q = parse_qs(parts.query)
            key = (norm_url(q["url"][0]), q.get("resumeKey", [""])[0])
            self.cdx[key].append(rec)
            return
        path = uri.split("web.archive.org", 1)[1]
        self.replay[path].append(rec)
        m = re.match(r"^/web/(\d{14})id_/(.+)$", path)
        if m:
            ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "text/html")
            entry = (m[1], m[2], str(rec.status), ctype.split(";")[0])
            if entry not in self.mementos[norm_url(m[2])]:
                self.mementos[norm_url(m[2])].append(entry)
