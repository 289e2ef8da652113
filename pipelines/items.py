"""The contract between spiders and pipelines: what a spider yields."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PolicyPage:
    """One fetched candidate policy page: raw bytes plus provenance.

    Spiders fill this in; pipelines never fetch anything.
    """

    site: str  # the site as named in the sites file
    source: str  # "live" | "wayback" | "warc"
    policy_url: str  # the original URL of the policy (not the archive URL)
    captured_at: datetime  # UTC; capture time for archives, fetch time for live
    snapshot: str  # period label, e.g. "2009H2", "2010", "2010Q3", "2010-07", or a capture ts
    body: bytes
    http_status: int = 200
    content_type: str | None = None
    archive: str | None = None  # whose capture: "ia", "commoncrawl", "memento:<host>", a base URL
    archive_url: str | None = None  # raw capture URL: <archive>/web/<ts>id_/<url>
    cdx_digest: str | None = None  # digest as reported by the CDX index
    homepage_url: str | None = None
    discovered_by: str = "input"  # input | homepage_link | common_path | live_link
    redirects: list[str] = field(default_factory=list)  # URLs followed before policy_url
    run_id: str = ""
    warc_filename: str | None = None  # the WARC file holding the response record (--warc-out)
    warc_offset: int | None = None  # that record's byte offset in the file
    reextracted: bool = False  # re-run of the document path over a stored capture
    link_text: str = ""  # the anchor text of the link that led here, if any (a type hint)

    @property
    def content_digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def __repr__(self) -> str:
        # Scrapy logs a dropped item whole: name the page, not its body (megabytes at times)
        url = self.archive_url or self.policy_url
        return (
            f"PolicyPage(site={self.site!r}, url={url!r}, snapshot={self.snapshot!r}, "
            f"body={len(self.body)} bytes)"
        )


@dataclass
class FetchRecord:
    """One URL tried, with its outcome. Every drop ends up as one of these."""

    site: str
    url: str
    snapshot: str
    source: str
    outcome: str  # "ok" or a short reason slug: "no_policy_found", "http_404", ...
    kind: str = "policy"  # homepage | policy | cdx | robots | save
    http_status: int | None = None
    detail: str = ""
    archive_url: str | None = None
    captured_at: datetime | None = None
    fetched_at: datetime | None = None
    run_id: str = ""
    warc_filename: str | None = None  # ingested or stored WARC: the record's file
    warc_offset: int | None = None  # and its byte offset
    document_type: str | None = None  # the type a processed page was taken for


@dataclass
class Document:
    """A processed page: one ``policies`` row and its ``clauses`` rows, ready to write."""

    snapshot: str
    policy: dict
    clauses: list[dict] = field(default_factory=list)
