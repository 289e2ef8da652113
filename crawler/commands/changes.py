"""``policyarchive changes OUT``: rebuild the changes and clause_changes datasets.

Both are derived from ``policies`` and ``clauses`` (pipelines/history/maintain.py); every
crawl keeps them current, and this command recomputes them from scratch (after a model or
recipe change, or to check the incremental rows: the two give the same rows).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from crawler import console

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "changes",
        help="rebuild the changes and clause_changes datasets of an output directory",
        epilog="examples:\n"
        "  policyarchive changes output          # after a distributed run, or to start afresh\n"
        "  python -c \"import pandas; print(pandas.read_parquet('output/changes'))\"\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", metavar="OUT", help="output directory of a crawl")
    console.add_flags(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    # imported here: `policyarchive --help` should not load pyarrow and Scrapy
    from pipelines.history.maintain import rebuild_changes
    from pipelines.storage.lock import OutputLocked, lock_output

    out = Path(args.out)
    if not (out / "policies").is_dir():
        print(f"policyarchive changes: {out} holds no policies dataset", file=sys.stderr)
        return EXIT_USAGE
    try:
        fd = lock_output(out)
    except OutputLocked as exc:
        print(f"policyarchive changes: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with console.command_session(args), console.TaskProgress("changes", unit="sites") as bar:
            result = rebuild_changes(out, on_progress=bar.update)
    finally:
        os.close(fd)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(result.kinds.items())) or "none"
    print(
        f"changes: {result.changes_added} pairs of versions over {result.sites} sites "
        f"({kinds}); clause_changes: {result.clause_changes_added} rows → {out}"
    )
    return EXIT_OK
