"""Why a download failed, as a short reason slug for the ``fetches`` dataset and stats.

Scrapy reports network trouble as exceptions (after its retries) and refusals as
IgnoreRequest with a message; users of the datasets should not have to read either.
Every slug here is stable: datasets, stats keys (``policyarchive/dropped/<slug>``) and
the README use them.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from twisted.internet import error as tx_error

ROBOTS = "robots_disallowed"
TOO_MANY_REDIRECTS = "too_many_redirects"
REDIRECT_BAD_SCHEME = "redirect_unsupported_scheme"  # file:, ftp:, data:, javascript:, ...
TRUNCATED = "truncated"  # body shorter than announced, or a compressed stream cut short

_BY_TYPE: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (DownloadTimeoutError, "timeout"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns_failure"),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), "connection_refused"),
    (ResponseDataLossError, TRUNCATED),
    (DownloadCancelledError, "too_large"),  # Content-Length or bytes received over the cap
    (UnsupportedURLSchemeError, "unsupported_scheme"),
    ((tx_error.TimeoutError, tx_error.TCPTimedOutError), "timeout"),
    ((tx_error.ConnectionLost, tx_error.ConnectionDone), "connection_lost"),
)

_UNREACHABLE = (
    (("CannotResolveHostError", "DNSLookupError"), "dns_failure"),
    (("ConnectionRefused", "DownloadConnectionRefusedError"), "connection_refused"),
)


def failure_reason(exc: BaseException) -> str:
    """The reason slug for a download that raised ``exc`` (after retries)."""
    own = getattr(exc, "reason", None)
    if isinstance(own, str) and own:
        # exceptions that name their reason, e.g. RobotsUnavailable; when robots.txt was
        # unreachable because the host is, say why the host is unreachable
        msg = str(exc)
        for words, slug in _UNREACHABLE:
            if any(w in msg for w in words):
                return slug
        return own
    if isinstance(exc, IgnoreRequest):
        named = getattr(exc, "reason", None)  # e.g. robots_unavailable (crawler.middlewares)
        if isinstance(named, str) and named:
            return named
        msg = str(exc).lower()
        if "robots" in msg:
            return ROBOTS
        if "max redirections" in msg:
            return TOO_MANY_REDIRECTS
        if "download_maxsize" in msg or "max size" in msg:
            return "decompression_bomb" if "decompress" in msg else "too_large"
        return "ignored"
    for types, slug in _BY_TYPE:
        if isinstance(exc, types):
            return slug
    if isinstance(exc, DownloadFailedError):
        # Scrapy wraps the Twisted failures; the words say which
        msg = str(exc)
        if "ConnectionLost" in msg or "ConnectionDone" in msg or "reset" in msg.lower():
            return "connection_lost"
        if "TimeoutError" in msg:
            return "timeout"
        return "download_failed"
    if isinstance(exc, OSError):
        return "decode_failed"  # Scrapy's decompression of a broken body
    return f"error_{type(exc).__name__}"


def failure_detail(exc: BaseException, limit: int = 500) -> str:
    text = str(exc) or type(exc).__name__
    return text[:limit]
