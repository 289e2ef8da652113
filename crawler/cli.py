"""The ``policyarchive`` console script: friendly doors to the same spiders Scrapy runs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from crawler.args import ArgumentError, LiveArgs, WaybackArgs
from crawler.distributed.node import distributed_settings
from crawler.sites import SitesFileError
from pipelines.history.periods import EVERY_CHOICES
from pipelines.process import DEFAULT_PROCESSOR, ConfigError, check_processor, worker_count

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEMO_DIR = Path(__file__).resolve().parent / "demo"


def build_settings(out: str | Path, overrides: dict[str, Any] | None = None) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("OUTPUT_DIR", str(out), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_spider(
    name: str, out: str | Path, spider_args: dict[str, Any], overrides: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any] | None]:
    """Run one spider to completion; returns (exit status, run manifest)."""
    from scrapy.crawler import CrawlerProcess

    settings = build_settings(out, overrides)
    # settings that cannot work are a usage error now, not a traceback inside Scrapy later
    worker_count(settings.get("POLICYARCHIVE_WORKERS"))
    check_processor(settings.get("POLICYARCHIVE_PROCESSOR") or DEFAULT_PROCESSOR)
    Path(out).mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(name)
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    run_id = getattr(crawler.spider, "run_id", None)
    manifest = None
    if run_id:
        path = Path(out) / "runs" / f"{run_id}.json"
        if path.exists():
            manifest = json.loads(path.read_text(encoding="utf-8"))
    errors = stats.get("log_count/ERROR", 0)
    if reason != "finished" or manifest is None:
        print(
            f"policyarchive: crawl did not finish cleanly (finish_reason={reason})", file=sys.stderr
        )
        return EXIT_FAILED, manifest
    if errors:
        print(
            f"policyarchive: the crawl logged {errors} errors (see the log above)", file=sys.stderr
        )
        return EXIT_FAILED, manifest
    return EXIT_OK, manifest


def summary(manifest: dict[str, Any], out: str | Path) -> str:
    c = manifest["counts"]
    lines = [
        f"run {manifest['run_id']} ({manifest['status']}) → {out}",
        f"  sites with documents: {c['sites_with_documents']}"
        f"/{manifest['arguments'].get('site_count')}",
        f"  documents: {c['rows']['policies']}   clauses: {c['rows']['clauses']}   "
        f"fetch rows: {c['rows']['fetches']}",
    ]
    per = c["documents_per_snapshot"]
    if per:
        lines.append("  documents per snapshot: " + ", ".join(f"{k} {v}" for k, v in per.items()))
    fails = c["failures_by_reason"]
    lines.append(
        "  failures by reason: "
        + (", ".join(f"{k} {v}" for k, v in fails.items()) if fails else "none")
    )
    return "\n".join(lines)


def _validate(model: Any, kw: dict[str, Any]) -> None:
    model.from_kwargs(kw)  # raises with a message naming the bad argument or line


def cmd_wayback(a: argparse.Namespace) -> int:
    kw = {"sites": a.sites, "from": a.from_, "to": a.to, "every": a.every, "archive": a.archive}
    _validate(WaybackArgs, kw)
    status, manifest = run_spider("wayback", a.out, kw, _overrides(a))
    if manifest:
        print(summary(manifest, a.out))
    return status


def cmd_live(a: argparse.Namespace) -> int:
    kw = {"sites": a.sites, "every": a.every, "save_to_archive": a.save_to_archive}
    _validate(LiveArgs, kw)
    overrides = _overrides(a)
    if a.save_endpoint:
        overrides["POLICYARCHIVE_SAVE_ENDPOINT"] = a.save_endpoint
    status, manifest = run_spider("live", a.out, kw, overrides)
    if manifest:
        print(summary(manifest, a.out))
    return status


def cmd_export(a: argparse.Namespace) -> int:
    from pipelines.storage.export import export_markdown

    n = export_markdown(a.out, a.dest)
    print(f"exported {n} documents to {a.dest}")
    return EXIT_OK if n else EXIT_FAILED


def cmd_classify(a: argparse.Namespace) -> int:
    from pipelines.classify_csv import classify_csv

    try:
        n = classify_csv(a.csv, a.text_column, a.out, document_column=a.document_column)
    except ValueError as exc:
        print(f"policyarchive classify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"classified {n} rows → {a.out}")
    return EXIT_OK


def cmd_demo(a: argparse.Namespace) -> int:
    from crawler.pywb_server import PywbServer
    from pipelines.storage.warcbuild import build_warc, load_spec

    with tempfile.TemporaryDirectory(prefix="policyarchive-demo-") as tmp:
        work = Path(tmp)
        warc = work / "demo.warc.gz"
        build_warc(load_spec(DEMO_DIR / "archive.json"), warc)
        print(f"built the sample archive from {DEMO_DIR / 'archive.json'}")
        with PywbServer([warc], work / "pywb") as server:
            base = server.start()
            print(f"pywb replays the sample archive at {base}")
            kw = {
                "sites": str(DEMO_DIR / "sites.txt"),
                "from": a.from_,
                "to": a.to,
                "every": a.every,
                "archive": base,
            }
            status, manifest = run_spider("wayback", a.out, kw, _overrides(a))
    if manifest:
        print(summary(manifest, a.out))
        print(
            f"read it: pandas.read_parquet('{a.out}/policies'); "
            f"export it: policyarchive export {a.out} {a.out}/markdown"
        )
    return status


def _overrides(a: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"LOG_LEVEL": a.log_level}
    if a.workers is not None:
        out["POLICYARCHIVE_WORKERS"] = a.workers
    for item in a.set or []:
        key, _, value = item.partition("=")
        out[key] = value
    out.update(distributed_settings(getattr(a, "redis", None), getattr(a, "run", None)))
    return out


def _distributed(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("one run on many nodes (docs/operations.md)")
    g.add_argument("--redis", metavar="URL", help="shared Redis, e.g. redis://10.0.0.5:6379/0")
    g.add_argument("--run", metavar="NAME", help="run name, the same on every node of the run")


def _common(p: argparse.ArgumentParser, out_required: bool = True) -> None:
    p.add_argument(
        "--out",
        required=out_required,
        default="output",
        help="output directory for the datasets (default: output)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="extraction worker processes (default: one per core; 0 = inline)",
    )
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument(
        "-s",
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policyarchive", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    w = sub.add_parser("wayback", help="policies over time from a web archive")
    w.add_argument(
        "--sites", required=True, help="sites file: domain, homepage URL or site,policy_url"
    )
    w.add_argument(
        "--from", dest="from_", required=True, help="start: a year or date (2005, 20050615)"
    )
    w.add_argument("--to", required=True, help="end, inclusive: a year or date")
    w.add_argument(
        "--every", default="half", choices=EVERY_CHOICES, help="snapshot period (default: half)"
    )
    w.add_argument(
        "--archive",
        default="https://web.archive.org",
        help="archive base URL with Wayback URL shapes (default: the Internet Archive)",
    )
    _common(w)
    _distributed(w)
    w.set_defaults(func=cmd_wayback)

    lv = sub.add_parser("live", help="current policies from the live web")
    lv.add_argument("--sites", required=True)
    lv.add_argument("--every", default="half", choices=[c for c in EVERY_CHOICES if c != "capture"])
    lv.add_argument(
        "--save-to-archive",
        action="store_true",
        help="ask the Internet Archive's Save Page Now to preserve each policy fetched",
    )
    lv.add_argument("--save-endpoint", default=None, help=argparse.SUPPRESS)
    _common(lv)
    _distributed(lv)
    lv.set_defaults(func=cmd_live)

    e = sub.add_parser("export", help="one markdown file per document, in the seed format")
    e.add_argument("out", metavar="DIR", help="output directory of a crawl")
    e.add_argument("dest", metavar="DEST", help="where to write the markdown files")
    e.set_defaults(func=cmd_export)

    c = sub.add_parser("classify", help="label texts in a CSV with the OPP-115 categories")
    c.add_argument("csv", metavar="CSV")
    c.add_argument("--text-column", required=True)
    c.add_argument(
        "--document-column",
        help="rows with the same value here, one after another, are one document's clauses "
        "in order: each is labelled with its heading, neighbours and position",
    )
    c.add_argument("--out", required=True, help="output .csv or .parquet")
    c.set_defaults(func=cmd_classify)

    d = sub.add_parser("demo", help="offline demo: replay the bundled sample archive")
    d.add_argument("--from", dest="from_", default="2005")
    d.add_argument("--to", default="2014")
    d.add_argument("--every", default="half", choices=EVERY_CHOICES)
    _common(d, out_required=False)
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ArgumentError, SitesFileError, ConfigError, UsageError) as exc:
        print(f"policyarchive {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"policyarchive {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
