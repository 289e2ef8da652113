"""Export documents as markdown files, archive captures under the seed provenance header."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow.dataset as ds

logger = logging.getLogger(__name__)

SEED_HEADER = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was "
    "archived on {date}. Please check the [original snapshot on the Wayback Machine]({url}) for "
    "the most accurate reproduction.*"
)
_ARCHIVE_URL = re.compile(r"^(?P<base>.*/web/\d{4,14}(?:[a-z]{2}_)?/)(?P<orig>.+)$")


def seed_url(archive_url: str) -> str:
    """``…/web/<ts>id_/http://x/y`` → ``…/web/<ts>id_/http%3A//x/y`` (the seed's spelling)."""
    m = _ARCHIVE_URL.match(archive_url)
    if not m:
        return archive_url
    return m["base"] + m["orig"].replace(":", "%3A")


def render_document(row: dict) -> str:
    """One document as the seed format writes it: header, blank line, title, text."""
    parts: list[str] = []
    if row.get("archive_url"):
        parts.append(
            SEED_HEADER.format(
                site=row["site"],
                date=row["captured_at"].strftime("%Y-%m-%d"),
                url=seed_url(row["archive_url"]),
            )
        )
    text = (row.get("text") or "").strip()
    title = (row.get("title") or "").strip()
    if title and not text.startswith("#"):
        parts.append(f"# {title}")
    parts.append(text)
    return "\n\n".join(parts) + "\n"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "_"


def export_markdown(
    out_dir: str | Path,
    dest: str | Path,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Write ``<dest>/<site>/<snapshot>_<policy_id>.md`` for every document; returns the count.

    ``on_progress(done, total)`` is called after each batch (the console's progress display).
    """
    policies = Path(out_dir) / "policies"
    if not policies.is_dir():
        raise FileNotFoundError(f"no policies dataset under {out_dir} (run a crawl first)")
    dataset = ds.dataset(policies, format="parquet", partitioning="hive")
    columns = ["policy_id", "site", "snapshot", "captured_at", "archive_url", "title", "text"]
    dest = Path(dest)
    n = 0
    total = dataset.count_rows() if on_progress is not None else None
    for batch in dataset.to_batches(columns=columns, batch_size=256):
        for row in batch.to_pylist():
            path = (
                dest / _safe(row["site"]) / f"{_safe(str(row['snapshot']))}_{row['policy_id']}.md"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{path.name}")
            tmp.write_text(render_document(row), encoding="utf-8")
            os.replace(tmp, path)
            n += 1
        if on_progress is not None:
            on_progress(n, total)
    logger.info("exported %d documents to %s", n, dest)
    return n
