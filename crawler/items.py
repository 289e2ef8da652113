"""Scrapy's conventional items module: the item contract lives in ``pipelines.items``."""

from __future__ import annotations

from pipelines.items import Document, FetchRecord, PolicyPage

__all__ = ["Document", "FetchRecord", "PolicyPage"]
