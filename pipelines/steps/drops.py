"""Why a page did not become a document: a DropItem that carries a reason slug."""

from __future__ import annotations

from scrapy.exceptions import DropItem


class Refused(DropItem):
    """Dropped with a reason. ``reason`` names the stats key and the ``fetches`` outcome."""

    def __init__(self, reason: str, detail: str = "", document_type: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.document_type = document_type  # what a processed page was taken for, if known
