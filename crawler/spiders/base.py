"""What the live and wayback spiders share: argument checking, run ids, engine downloads."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.http import Response

from crawler.args import ArgumentError
from crawler.sites import SitesFileError

logger = logging.getLogger(__name__)


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class PolicySpider(scrapy.Spider):
    """Base: arguments are validated in ``__init__`` so a bad one fails before any request."""

    args_model: Any = None

    def __init__(self, *a: Any, **kw: Any) -> None:
        run_id = kw.pop("run_id", None)
        super().__init__(*a, **kw)
        try:
            self.args = self.args_model.from_kwargs(kw)
        except (ArgumentError, SitesFileError) as exc:
            raise UsageError(str(exc)) from exc
        self.run_id = run_id or new_run_id()
        self.run_args = self.args.as_dict()

    async def download(self, request: Request) -> Response:
        """Fetch through the engine (downloader middlewares apply) from inside a callback."""
        assert self.crawler.engine is not None
        return await self.crawler.engine.download_async(request)
