"""``policyarchive report OUT``: figures of the archive over time, and its dataset card."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler import console

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report",
        help="figures and tables of the archive over time (OUT/report/index.html) and the "
        "dataset card (OUT/README.md)",
        description="Write OUT/report/index.html (self-contained; each figure also as a PNG, "
        "each table as a CSV) and rewrite the dataset card OUT/README.md.",
        epilog="examples:\n"
        "  policyarchive report output\n"
        "  policyarchive report /data/weekly-crawl --max-sites 100\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", metavar="OUT", help="output directory of one or more crawls")
    p.add_argument(
        "--max-sites",
        type=int,
        default=40,
        help="sites shown in the timeline figure (those with the most changes; default 40)",
    )
    console.add_flags(p)
    p.set_defaults(func=run)
    return p


def write_all(
    out: Path, max_sites: int = 40, on_progress: Callable[..., None] | None = None
) -> tuple[Any, Path]:
    """The report and the dataset card (raises NoPolicies when OUT holds no policies)."""
    from pipelines.history.report import build_report
    from pipelines.storage.card import write_card

    report = build_report(out, max_sites=max_sites, on_progress=on_progress)
    return report, write_card(out)


def run(args: argparse.Namespace) -> int:
    from pipelines.history.report import NoPolicies

    out = Path(args.out)
    if args.max_sites < 1:
        print("policyarchive report: --max-sites must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if not out.is_dir():
        print(f"policyarchive report: no such directory: {out}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with console.command_session(args), console.TaskProgress("report", unit="steps") as bar:
            report, card = write_all(out, args.max_sites, on_progress=bar.update)
    except NoPolicies as exc:
        print(f"policyarchive report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report: {report.index} ({len(report.figures)} figures)")
    for section in report.sections:
        if section.png is None:
            print(f"  {section.name}: {section.caption}")
    print(f"dataset card: {card}")
    return EXIT_OK
