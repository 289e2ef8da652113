"""``policyarchive candidates``: a sites file of likely privacy policies from Common Crawl's
columnar index (the logic is in crawler/archive/ccindex.py)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from crawler.archive.ccindex import best_per_domain, candidates_lines, open_index, scan_rows

logger = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "candidates",
        help="privacy-policy URLs, one per domain, from Common Crawl's columnar index",
        epilog="examples:\n"
        "  policyarchive candidates --crawl CC-MAIN-2019-22 --index cc-index/table/cc-main \\\n"
        "      --out candidates.txt [--sites sites.txt]\n"
        "  policyarchive live --sites candidates.txt --out out/\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--crawl", required=True, help="crawl id, e.g. CC-MAIN-2019-22")
    p.add_argument(
        "--index",
        required=True,
        help="the columnar index: a local folder or s3://commoncrawl/cc-index/table/cc-main/warc/",
    )
    p.add_argument("--out", required=True, help="where to write the site,policy_url lines")
    p.add_argument("--sites", help="only the registered domains of this sites file")
    p.set_defaults(func=run)


def _sites(path: str) -> dict[str, str]:
    from crawler.links import registrable_domain
    from crawler.sites import read_sites_file

    return {registrable_domain(e.site): e.site for e in read_sites_file(path)}


def run(args: argparse.Namespace) -> int:
    if not args.crawl.startswith("CC-MAIN-"):
        print(f"policyarchive candidates: not a crawl id: {args.crawl!r}", file=sys.stderr)
        return 2
    if "://" not in args.index and not Path(args.index).is_dir():
        print(f"policyarchive candidates: no such index folder: {args.index}", file=sys.stderr)
        return 2
    sites = _sites(args.sites) if args.sites else None
    started = time.monotonic()
    try:
        dataset, partitioned = open_index(args.index, args.crawl)
        rows = scan_rows(dataset, args.crawl if partitioned else None, set(sites or ()) or None)
        best = best_per_domain(rows)
    except (OSError, ValueError) as exc:  # pyarrow's errors are subclasses of these
        print(f"policyarchive candidates: cannot read the index: {exc}", file=sys.stderr)
        return 1
    lines = candidates_lines(best, sites)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tmp.replace(out)
    wanted = f" of {len(sites)} asked for" if sites else ""
    print(
        f"{len(lines)} domains{wanted} with a policy candidate in {args.crawl} → {out} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0
