"""Flag compressed bodies that stop mid-stream, before Scrapy decompresses them.

Scrapy's decompression is lenient: a gzip body cut in half decodes to its first half and
nothing says so, so half a policy would be stored as if it were the whole. This
middleware sits just outside HttpCompressionMiddleware (its ``process_response`` runs
first) and adds the flag ``truncated`` to a response whose gzip/deflate/brotli stream
does not reach its end. Spiders record such pages with the reason ``truncated``.
"""

from __future__ import annotations

import logging
import zlib
from typing import TYPE_CHECKING

import brotli

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

TRUNCATED_FLAG = "truncated"
_CHUNK = 1 << 20


def _zlib_complete(body: bytes, wbits: int, limit: int) -> bool:
    d = zlib.decompressobj(wbits=wbits)
    out = len(d.decompress(body, _CHUNK))
    while d.unconsumed_tail and not d.eof and out <= limit:
        out += len(d.decompress(d.unconsumed_tail, _CHUNK))
    return d.eof or out > limit  # over the cap: HttpCompressionMiddleware refuses it anyway


def stream_complete(body: bytes, encoding: str, limit: int = 64 << 20) -> bool:
    """False when ``body`` is a ``encoding`` stream that ends before its end marker.

    Only ``limit`` bytes are inflated while checking; an unknown encoding counts as complete.
    """
    try:
        if encoding in ("gzip", "x-gzip"):
            return _zlib_complete(body, 16 + zlib.MAX_WBITS, limit)
        if encoding == "deflate":
            try:
                return _zlib_complete(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                return _zlib_complete(body, -zlib.MAX_WBITS, limit)  # raw deflate
        if encoding == "br":
            d = brotli.Decompressor()
            out = len(d.process(body, output_buffer_limit=_CHUNK))
            while not d.is_finished() and out <= limit:
                chunk = d.process(b"", output_buffer_limit=_CHUNK)
                if not chunk:
                    break
                out += len(chunk)
            return d.is_finished() or out > limit
    except (zlib.error, brotli.error):
        return False  # corrupt rather than cut short: no trustworthy text either way
    return True


class TruncatedBodyMiddleware:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncatedBodyMiddleware:
        return cls(crawler.settings.getint("DOWNLOAD_MAXSIZE") or 64 << 20)

    def process_response(self, request: Request, response: Response) -> Response:
        encodings = [
            e.strip().lower().decode("latin-1")
            for raw in response.headers.getlist(b"Content-Encoding")
            for e in raw.split(b",")
            if e.strip()
        ]
        if len(encodings) != 1 or not response.body or request.method == "HEAD":
            return response  # stacked encodings are rare; leave them to Scrapy
        if not stream_complete(response.body, encodings[0], self.limit):
            logger.warning(
                "%s: %s body ends before its end marker (%d bytes): marked truncated",
                response.url,
                encodings[0],
                len(response.body),
            )
            response.flags.append(TRUNCATED_FLAG)
        return response
