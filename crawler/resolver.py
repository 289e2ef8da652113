"""A DNS resolver with host overrides (like curl's --resolve), for offline demos and tests.

``POLICYARCHIVE_RESOLVE = {"*.example": "127.0.0.1"}`` sends every ``*.example`` host to
loopback; other names resolve as usual through Scrapy's caching resolver.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def resolve_override(name: str, overrides: Mapping[str, str]) -> str | None:
    name = name.lower().rstrip(".")
    for pattern, ip in overrides.items():
        if fnmatch.fnmatchcase(name, pattern.lower()):
            return ip
    return None


@implementer(IResolverSimple)
class OverrideResolver(CachingThreadedResolver):
    overrides: Mapping[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> OverrideResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.overrides = dict(crawler.settings.getdict("POLICYARCHIVE_RESOLVE"))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:  # noqa: N802
        ip = resolve_override(name, self.overrides)
        if ip is not None:
            return defer.succeed(ip)
        return super().getHostByName(name, timeout)
