"""``policyarchive ingest PATH… --out OUT``: policies from local WARC/ARC/WACZ files.

First pass: index every record (url, time, status, mime, digest, file, offset, length) into
SQLite under ``OUT/.ingest-*`` (removed afterwards), so memory does not grow with the
collection. Then the ``warc`` spider (crawler/spiders/warc.py) runs the wayback spider's
discovery over that index, and the usual pipelines write the datasets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from crawler.links import registrable_domain
from pipelines.history.periods import EVERY_CHOICES
from pipelines.storage.warcindex import WarcIndex

logger = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from crawler.cli import _common

    p = sub.add_parser(
        "ingest",
        help="policies over time from local WARC, ARC or WACZ files (no server)",
        epilog="examples:\n"
        "  policyarchive ingest crawl.wacz --out out/\n"
        "  policyarchive ingest warcs/ --sites sites.txt --from 2005 --to 2014 --out out/\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="archive files or folders of them")
    p.add_argument(
        "--sites",
        default=None,
        help="sites file (default: every registered domain captured in the collection)",
    )
    p.add_argument("--from", dest="from_", default=None, help="start (default: first capture)")
    p.add_argument("--to", default=None, help="end, inclusive (default: last capture)")
    p.add_argument("--every", default="half", choices=EVERY_CHOICES)
    _common(p, warc=False)  # nothing is fetched: nothing to keep as WARC
    p.set_defaults(func=run)


def collection_sites(index: WarcIndex) -> list[str]:
    """A sites file's lines: each registered domain in the collection, with the homepage it
    was captured at (a WACZ's pages first, then a captured root URL) when there is one."""
    roots: dict[str, Counter[str]] = {}
    for url, _ in index.pages():
        host = (urlsplit(url).hostname or "").lower()
        if host and urlsplit(url).path in ("", "/"):
            roots.setdefault(registrable_domain(host), Counter())[url] += 1000
    for url in index.urls():
        s = urlsplit(url)
        host = (s.hostname or "").lower()
        if not host:
            continue
        counts = roots.setdefault(registrable_domain(host), Counter())
        if s.path in ("", "/") and not s.query:
            counts[f"{s.scheme}://{s.netloc}/"] += 1
    lines = []
    for domain, counts in sorted(roots.items()):
        lines.append(counts.most_common(1)[0][0] if counts else domain)
    return lines


def run(a: argparse.Namespace) -> int:
    from crawler.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, _overrides, run_spider, summary

    paths = [Path(p) for p in a.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"policyarchive ingest: no such file or folder: {missing[0]}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".ingest-", dir=out) as tmp:
        index = WarcIndex(Path(tmp) / "index.sqlite")
        t0 = time.monotonic()
        records, broken = index.add_files(paths)
        took = time.monotonic() - t0
        print(
            f"indexed {records} records ({broken} broken) in {took:.1f}s "
            f"({records / took if took else 0:.0f} records/s); "
            f"{index.wacz_indexes} WACZ read from their own index"
        )
        span = index.time_span()
        if span is None:
            index.close()
            print("policyarchive ingest: no readable captures in the files given", file=sys.stderr)
            return EXIT_FAILED
        sites = a.sites
        if sites is None:
            lines = collection_sites(index)
            sites = str(Path(tmp) / "sites.txt")
            Path(sites).write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"sites: every registered domain in the collection ({len(lines)})")
        index.close()
        kw = {
            "index": str(Path(tmp) / "index.sqlite"),
            "sites": sites,
            "from": a.from_ or span[0][:8],
            "to": a.to or span[1][:8],
            "every": a.every,
            "paths": " ".join(str(p.resolve()) for p in paths),
        }
        from crawler.spiders.warc import IngestArgs

        IngestArgs.from_kwargs(dict(kw))  # a bad argument fails here, naming itself
        status, manifest = run_spider("warc", out, kw, _overrides(a), ui=a)
    if manifest:
        print(summary(manifest, out))
    return status if status != EXIT_OK or manifest else EXIT_FAILED
