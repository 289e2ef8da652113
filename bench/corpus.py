"""The real pages the benchmarks run on: OPP-115 originals and the real policies.

Found like tests/conftest.py finds them: ``$POLICYARCHIVE_DATA``, else ``../shared/data``
beside the repository. Nothing is copied into the repository.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.items import PolicyPage

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Page:
    name: str  # file name, for tables and profiles
    url: str  # the policy's original URL
    body: bytes


def load_pages(data: Path) -> list[Page]:
    """Every HTML page of both corpora (the one OPP-115 PDF is not a web page: skipped)."""
    pages: list[Page] = []
    opp = data / "opp115"
    urls: dict[str, str] = {}
    with (opp / "policies_opp115.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            urls[row["Policy UID"].strip()] = row["Policy URL"].strip()
    for path in sorted((opp / "original_html").glob("*.html")):
        uid = path.name.split("_", 1)[0]
        url = urls.get(uid) or path.stem.split("_", 1)[-1]
        pages.append(Page(path.name, f"http://{url.removeprefix('http://')}", path.read_bytes()))
    real = data / "real_policies"
    with (real / "index.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            path = real / row["file"]
            if path.is_file() and path.suffix == ".html":
                pages.append(Page(path.name, row["url"], path.read_bytes()))
    return pages


def as_policy_page(page: Page, i: int = 0, run_id: str = "bench") -> PolicyPage:
    """A PolicyPage as the live spider would yield it for ``page``."""
    return PolicyPage(
        site=f"site{i:05d}.example",
        source="live",
        policy_url=page.url,
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        snapshot="2026H1",
        body=page.body,
        content_type="text/html; charset=utf-8",
        run_id=run_id,
    )
