"""Read the sites file: one site a line, as a domain, a homepage URL, or ``site,policy_url``.

Naming rule: the site name is the host as written, lowercased, without a leading ``www.``
(``www.Example.com`` and ``example.com`` name the same site, so the second one is a duplicate),
in Unicode for IDN domains (URLs use punycode). A non-default port stays in the name, so local
test servers on different ports are different sites. A bare domain's homepage is
``http://www.<site>/`` when the site is a registrable domain (``netregistry.com.au``), else
``http://<host>/`` (``blog.example.com``, an IP); a homepage URL is kept as given (punycoded).

Blank lines, ``#`` comments (whole-line, or after whitespace: ``http://a/#frag`` keeps its
fragment), surrounding whitespace, a UTF-8 BOM and CRLF are fine. Every bad line is reported,
with its number, in one ``SitesFileError``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import idna

from crawler.links import registrable_domain

logger = logging.getLogger(__name__)

_COMMENT = re.compile(r"(?:^|\s)#.*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_MAX_QUOTED = 200


@dataclass(frozen=True)
class SiteEntry:
    site: (
        str  # as named: host lowercased without "www.", Unicode for IDN, e.g. "netregistry.com.au"
    )
    homepage: str  # "http://www.<site>/" style URL, or the given homepage URL
    policy_url: str | None  # explicit policy URL from a "site,policy_url" line
    line_no: int


class SitesFileError(ValueError):
    """Bad lines in a sites file. ``line_no``/``line``/``why`` describe the first one;
    ``errors`` lists all as (line_no, why, line), one message line each."""

    def __init__(
        self,
        why: str,
        line_no: int,
        line: str,
        *,
        source: str = "<sites>",
        errors: Sequence[tuple[int, str, str]] = (),
    ) -> None:
        self.why = why
        self.line_no = line_no
        self.line = line
        self.source = source
        self.errors: list[tuple[int, str, str]] = list(errors) or [(line_no, why, line)]
        super().__init__("\n".join(_format_error(source, n, w, text) for n, w, text in self.errors))


def _format_error(source: str, line_no: int, why: str, line: str) -> str:
    shown = line if len(line) <= _MAX_QUOTED else line[:_MAX_QUOTED] + "..."
    return f"sites file {source} line {line_no}: {why}: '{shown}'"


class _BadLine(Exception):
    """Internal: why one line is bad."""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _check_host(host: str) -> tuple[str, str]:
    """(unicode name, ascii name) of a hostname, or _BadLine with the reason."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise _BadLine("missing domain")
    if any(c.isspace() for c in host):
        raise _BadLine("space inside domain")
    if _is_ip(host):
        return host, host
    if "." not in host:
        raise _BadLine(f"no dot in domain {host!r}")
    if any(c in host for c in "/\\?#@:,;'\"<>[]{}|^`%*!$&()=+~"):
        raise _BadLine(f"invalid character in domain {host!r}")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        unicode_host = idna.decode(ascii_host)
    except idna.IDNAError as exc:
        raise _BadLine(f"invalid domain {host!r} ({exc})") from None
    labels = ascii_host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(ascii_host) > 253:
        raise _BadLine(f"invalid domain {host!r}")
    if labels[-1].isdigit():
        raise _BadLine(f"invalid domain {host!r} (numeric top-level label)")
    return unicode_host, ascii_host


def _check_url(value: str, what: str) -> tuple[str, str, str]:
    """(unicode host[:port], ascii URL, ascii host[:port]) of an http(s) URL, or _BadLine."""
    if any(c.isspace() for c in value):
        raise _BadLine(f"space inside {what}")
    m = _SCHEME.match(value)
    scheme = m.group(1).lower() if m else ""
    if not scheme:
        raise _BadLine(f"invalid {what} {value!r} (needs http:// or https://)")
    if scheme not in ("http", "https"):
        raise _BadLine(f"unsupported {what} scheme {scheme!r} (http or https only)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise _BadLine(f"invalid {what} ({exc})") from None
    if not parts.hostname:
        raise _BadLine(f"{what} has no host")
    try:
        uni, asc = _check_host(parts.hostname)
    except _BadLine as exc:
        raise _BadLine(f"invalid {what}: {exc}") from None
    default = {"http": 80, "https": 443}[scheme]
    suffix = f":{port}" if port is not None and port != default else ""
    bracketed = f"[{asc}]" if ":" in asc else asc
    netloc = bracketed + (f":{port}" if port is not None else "")
    # fragments are never sent to a server: drop them
    url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return uni + suffix, url, asc + suffix


def _site_name(host: str) -> str:
    return host[4:] if host.startswith("www.") and "." in host[4:] else host


def _parse_fields(text: str, line_no: int) -> SiteEntry:
    fields = [f.strip() for f in text.split(",")]
    if len(fields) > 2:
        raise _BadLine(f"expected 'site' or 'site,policy_url', got {len(fields)} comma fields")
    first = fields[0]
    if not first:
        raise _BadLine("missing site before the comma")
    policy_url: str | None = None
    if len(fields) == 2:
        if not fields[1]:
            raise _BadLine("missing policy URL after the comma")
        _, policy_url, _ = _check_url(fields[1], "policy URL")

    prefix, _, rest = first.partition(":")
    host_port = "." in prefix or rest.split("/", 1)[0].isdigit()  # "example.com:8080"
    if "://" in first or (_SCHEME.match(first) and not host_port):
        # a URL (or a scheme we refuse, like ftp: or mailto:)
        host, homepage, _ = _check_url(first, "homepage URL")
    elif "/" in first:
        # "www.example.com/en/": a homepage written without its scheme
        host, homepage, _ = _check_url("http://" + first, "homepage URL")
    else:
        uni, asc = _check_host(first.split(":", 1)[0])
        port = first.split(":", 1)[1] if ":" in first else ""
        if port and not port.isdigit():
            raise _BadLine(f"invalid port {port!r}")
        suffix = f":{port}" if port else ""
        host = uni + suffix
        if asc.startswith("www.") or _is_ip(asc) or registrable_domain(asc) != asc:
            homepage = f"http://{asc}{suffix}/"
        else:
            homepage = f"http://www.{asc}{suffix}/"
    return SiteEntry(
        site=_site_name(host), homepage=homepage, policy_url=policy_url, line_no=line_no
    )


def _strip_line(line: str) -> str:
    return _COMMENT.sub("", line.replace("\ufeff", "").rstrip("\r\n")).strip()


def parse_sites_line(line: str, line_no: int) -> SiteEntry | None:
    """One line of a sites file; None for blank and comment lines.

    Raises SitesFileError (source ``<sites>``) for a bad line.
    """
    text = _strip_line(line)
    if not text:
        return None
    try:
        return _parse_fields(text, line_no)
    except _BadLine as exc:
        raise SitesFileError(str(exc), line_no, line.strip()) from None


def parse_sites(text: str, *, source: str = "<sites>") -> list[SiteEntry]:
    """All entries of a sites file's text, in order, first of each duplicate site kept.

    Raises SitesFileError listing every bad line (``line_no`` is the first bad line's).
    """
    entries: list[SiteEntry] = []
    seen: dict[str, int] = {}
    errors: list[tuple[int, str, str]] = []
    for line_no, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        try:
            entry = parse_sites_line(line, line_no)
        except SitesFileError as exc:
            errors.append((exc.line_no, exc.why, exc.line))
            continue
        if entry is None:
            continue
        if entry.site in seen:
            logger.warning(
                "sites file %s line %d: duplicate site %s (first on line %d), ignored",
                source,
                line_no,
                entry.site,
                seen[entry.site],
            )
            continue
        seen[entry.site] = line_no
        entries.append(entry)
    if errors:
        first_no, first_why, first_line = errors[0]
        raise SitesFileError(first_why, first_no, first_line, source=source, errors=errors)
    return entries


def read_sites_file(path: str | Path) -> list[SiteEntry]:
    """Parse a UTF-8 sites file (BOM allowed); the error messages name the file."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data.count(b"\n", 0, exc.start) + 1
        line = data.splitlines()[line_no - 1].decode("utf-8", "replace").strip()
        raise SitesFileError("not UTF-8 text", line_no, line, source=str(path)) from None
    return parse_sites(text, source=str(path))
