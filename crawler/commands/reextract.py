"""``policyarchive reextract OUT``: re-run the document path over the WARC records kept for
OUT's documents (``--warc-out`` or ``ingest``), with no network; writes a new run whose rows
have ``reextracted`` = true (crawler/spiders/reextract.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    from crawler.cli import _common

    p = sub.add_parser(
        "reextract",
        help="re-extract stored documents from their WARC records (no network)",
        epilog="examples:\n"
        "  policyarchive wayback --sites s.txt --from 2005 --to 2014 --out out --warc-out w\n"
        "  policyarchive reextract out           # later, with a newer extractor or model\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", metavar="OUT", help="output directory of earlier runs")
    _common(p, out=False, warc=False)  # OUT is the positional argument
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from crawler.cli import EXIT_USAGE, _overrides, run_spider, summary
    from crawler.spiders.reextract import stored_documents

    out = Path(a.dir)
    if not (out / "policies").is_dir():
        print(f"policyarchive reextract: {out} holds no policies dataset", file=sys.stderr)
        return EXIT_USAGE
    if next(stored_documents(out), None) is None:
        print(
            f"policyarchive reextract: no document in {out} has a stored WARC record "
            "(crawl with --warc-out, or ingest WARC files)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    status, manifest = run_spider("reextract", out, {"out": str(out)}, _overrides(a), ui=a)
    if manifest:
        print(summary(manifest, out))
    return status
