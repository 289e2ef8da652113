"""The ``policyarchive`` console script: friendly doors to the same spiders Scrapy runs."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from crawler import console
from crawler.args import ArgumentError, LiveArgs, WaybackArgs
from crawler.commands import candidates, ingest, reextract, report
from crawler.commands import changes as changes_command
from crawler.distributed.node import distributed_settings
from crawler.sites import SitesFileError
from pipelines.history.periods import EVERY_CHOICES
from pipelines.process import (
    DEFAULT_PROCESSOR,
    ConfigError,
    check_processor,
    parse_documents,
    worker_count,
)

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEMO_DIR = Path(__file__).resolve().parent / "demo"
REACH_TIMEOUT = 10.0  # seconds an archive has to answer before the crawl starts


class UsageProblem(Exception):
    """A user mistake found before the crawl starts: one sentence, exit status 2."""


def check_output_free(out: str | Path, distributed: bool = False) -> None:
    """Refuse at once when another run holds OUT/.lock (the writer takes it again later);
    the nodes of one distributed run share it."""
    from pipelines.storage.lock import OutputLocked, lock_output

    try:
        fd = lock_output(Path(out), shared=distributed)
    except OutputLocked as exc:
        raise UsageProblem(str(exc)) from None
    except (FileExistsError, NotADirectoryError):
        raise UsageProblem(f"the output directory {out} is a file, not a directory") from None
    except PermissionError:
        raise UsageProblem(
            f"cannot write to the output directory {out}: permission denied"
        ) from None
    os.close(fd)


def check_archive(archive: str, timeout: float = REACH_TIMEOUT) -> None:
    """Any HTTP answer will do (the crawl handles errors politely); silence is a usage error."""
    req = urllib.request.Request(archive + "/", method="GET")
    req.add_header("User-Agent", "policyarchive (reachability check)")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read(0)
    except urllib.error.HTTPError:
        return  # it answered
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        if isinstance(why, OSError) and why.strerror:
            why = why.strerror.lower()  # "connection refused", not "[Errno 111] ..."
        if isinstance(why, TimeoutError) or "timed out" in str(why):
            why = f"no answer within {timeout:.0f} s"
        raise UsageProblem(
            f"the archive at {archive} does not answer ({why}); check --archive and the network"
        ) from None


def archive_bases(args: WaybackArgs) -> list[str]:
    """The URL of each archive of the run that should answer before the crawl starts."""
    from crawler.archive.sources import parse_archive_spec

    # Common Crawl's index is asked for collinfo.json first thing, which says it plainly
    bases = [spec.base for spec in map(parse_archive_spec, args.archives) if spec.base]
    return list(dict.fromkeys(bases))


def build_settings(out: str | Path, overrides: dict[str, Any] | None = None) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("OUTPUT_DIR", str(out), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_spider(
    name: str,
    out: str | Path,
    spider_args: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    ui: argparse.Namespace | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """Run one spider to completion; returns (exit status, run manifest).

    The log goes in full to ``OUT/logs/<run_id>.log`` from the first line; the terminal
    shows warnings, errors and the progress (``ui`` carries -v/-q/--progress).
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.base import new_run_id

    settings = build_settings(out, overrides)
    # settings that cannot work are a usage error now, not a traceback inside Scrapy later
    worker_count(settings.get("POLICYARCHIVE_WORKERS"))
    check_processor(settings.get("POLICYARCHIVE_PROCESSOR") or DEFAULT_PROCESSOR)
    try:
        parse_documents(settings.get("POLICYARCHIVE_DOCUMENTS"))
    except ValueError as exc:
        raise ConfigError(f"POLICYARCHIVE_DOCUMENTS: {exc}") from None
    check_output_free(out, distributed=bool(settings.get("POLICYARCHIVE_REDIS_URL")))
    run_id = new_run_id()
    log_path = Path(out) / "logs" / f"{run_id}.log"
    ui = ui or argparse.Namespace()
    with console.command_session(ui, log_path) as session:
        settings.set("POLICYARCHIVE_PROGRESS", session.mode, priority="cmdline")
        settings.set("POLICYARCHIVE_PROGRESS_INTERVAL", session.interval, priority="cmdline")
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["crawler.console.ProgressExtension"] = 0
        settings.set("EXTENSIONS", extensions, priority="cmdline")
        # our handlers, not Scrapy's root handler: a file in full, a quiet terminal
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
        if console.verbosity(ui) != console.QUIET:
            print(f"log: {log_path}", file=sys.stderr, flush=True)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(name)
        process.crawl(crawler, run_id=run_id, **spider_args)
        process.start()
        disk_full = session.disk_full
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    manifest = None if disk_full else _finish_manifest(Path(out), run_id, stats, log_path)
    errors = stats.get("log_count/ERROR", 0)
    if disk_full:
        console.SESSION.disk_full = True  # main() exits at once: see there
        console.quiet_disk_full()
        print(f"policyarchive: {console.disk_full_message(out)}", file=sys.stderr)
        return EXIT_FAILED, manifest
    if reason == "output_locked":
        print(f"policyarchive: another run took {out} first (see {log_path})", file=sys.stderr)
        return EXIT_USAGE, manifest
    if reason != "finished" or manifest is None:
        print(
            f"policyarchive: crawl did not finish cleanly (finish_reason={reason}); "
            f"the log: {log_path}",
            file=sys.stderr,
        )
        return EXIT_FAILED, manifest
    if errors:
        print(f"policyarchive: the crawl logged {errors} errors (see {log_path})", file=sys.stderr)
        return EXIT_FAILED, manifest
    return EXIT_OK, manifest


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def _finish_manifest(
    out: Path, run_id: str, stats: dict[str, Any], log_path: Path
) -> dict[str, Any] | None:
    """Add Scrapy's stats and the log's path to the run manifest (the terminal never sees
    the stats dump; the log and the manifest keep it)."""
    from pipelines.steps.parquet import write_json_atomic

    path = out / "runs" / f"{run_id}.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if "counts" not in manifest:
        return None  # only the first manifest of the run: it never reached its end
    manifest["log"] = str(log_path)
    manifest["stats"] = {k: _jsonable(v) for k, v in sorted(stats.items())}
    try:
        write_json_atomic(path, manifest)
    except OSError as exc:
        logger.warning("could not add the stats to %s: %s", path, exc)
    return manifest


def output_size(out: str | Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(out):
        for f in files:
            with contextlib.suppress(OSError):  # a file removed while we walk
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def _elapsed(manifest: dict[str, Any]) -> str:
    from datetime import datetime

    try:
        start = datetime.fromisoformat(manifest["started_at"])
        end = datetime.fromisoformat(manifest["finished_at"])
    except (KeyError, TypeError, ValueError):
        return "?"
    return console.duration((end - start).total_seconds())


def summary(manifest: dict[str, Any], out: str | Path) -> str:
    c = manifest["counts"]
    lines = [
        f"run {manifest['run_id']} ({manifest['status']}) → {out}",
        f"  elapsed: {_elapsed(manifest)}   output size: {console.size(output_size(out))}",
        f"  sites with documents: {c['sites_with_documents']}"
        f"/{manifest['arguments'].get('site_count')}",
        f"  documents: {c['rows']['policies']}   clauses: {c['rows']['clauses']}   "
        f"fetch rows: {c['rows']['fetches']}",
    ]
    per = c["documents_per_snapshot"]
    if per:
        lines += _wrap("documents per snapshot: ", [f"{k} {v}" for k, v in per.items()])
    fails = c["failures_by_reason"]
    lines.append(
        "  failures by reason: "
        + (", ".join(f"{k} {v}" for k, v in fails.items()) if fails else "none")
    )
    if manifest.get("log"):
        lines.append(f"  log: {manifest['log']}")
    page = Path(out) / "report" / "index.html"
    if page.exists():
        lines.append(f"  report: {page}")
    steps = [(f"policyarchive status {out}", "what it holds; what a rerun would fetch")]
    if not page.exists():
        steps.append((f"policyarchive report {out}", f"an HTML report in {page}"))
    steps.append(
        (f"policyarchive export {out} {Path(out) / 'markdown'}", "one markdown file per document")
    )
    steps.append((f"python -c \"import pandas; print(pandas.read_parquet('{out}/policies'))\"", ""))
    width = max(len(cmd) for cmd, why in steps if why) + 2
    lines.append("next:")
    lines += [f"  {cmd:<{width}}# {why}" if why else f"  {cmd}" for cmd, why in steps]
    return "\n".join(lines)


def _wrap(head: str, items: list[str], width: int = 100) -> list[str]:
    """``head`` then the items, wrapped; an item ("2013H1 6") never breaks across lines."""
    import textwrap

    text = head + ", ".join(i.replace(" ", "\u00a0") for i in items)
    wrapped = textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="    ")
    return [w.replace("\u00a0", " ") for w in wrapped]


def _validate(model: Any, kw: dict[str, Any]) -> None:
    model.from_kwargs(kw)  # raises with a message naming the bad argument or line


def cmd_wayback(a: argparse.Namespace) -> int:
    kw = {"sites": a.sites, "from": a.from_, "to": a.to, "every": a.every, "archive": a.archive}
    kw |= {"cc_index": a.cc_index, "cc_data": a.cc_data}  # Common Crawl mirrors (sources.py)
    args = WaybackArgs.from_kwargs(kw)  # raises with a message naming the bad argument
    check_output_free(a.out, distributed=bool(getattr(a, "redis", None)))
    for base in archive_bases(args):
        check_archive(base, a.reach_timeout)
    status, manifest = run_spider("wayback", a.out, kw, _overrides(a), a)
    if manifest:
        print(summary(manifest, a.out))
    return status


def cmd_live(a: argparse.Namespace) -> int:
    kw = {"sites": a.sites, "every": a.every, "save_to_archive": a.save_to_archive}
    _validate(LiveArgs, kw)
    overrides = _overrides(a)
    if a.save_endpoint:
        overrides["POLICYARCHIVE_SAVE_ENDPOINT"] = a.save_endpoint
    status, manifest = run_spider("live", a.out, kw, overrides, a)
    if manifest:
        print(summary(manifest, a.out))
    return status


def cmd_export(a: argparse.Namespace) -> int:
    from pipelines.storage.export import export_markdown

    with console.command_session(a), console.TaskProgress("export", unit="documents") as bar:
        n = export_markdown(a.out, a.dest, on_progress=bar.update)
    print(f"exported {n} documents to {a.dest}")
    return EXIT_OK if n else EXIT_FAILED


def cmd_classify(a: argparse.Namespace) -> int:
    from pipelines.classify_csv import classify_csv

    try:
        with console.command_session(a), console.TaskProgress("classify", unit="rows") as bar:
            n = classify_csv(
                a.csv,
                a.text_column,
                a.out,
                document_column=a.document_column,
                on_progress=bar.update,
            )
    except ValueError as exc:
        print(f"policyarchive classify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"classified {n} rows → {a.out}")
    return EXIT_OK


def cmd_demo(a: argparse.Namespace) -> int:
    from crawler.pywb_server import PywbServer
    from pipelines.storage.warcbuild import build_warc, load_spec

    check_output_free(a.out)
    with tempfile.TemporaryDirectory(prefix="policyarchive-demo-") as tmp:
        work = Path(tmp)
        warc = work / "demo.warc.gz"
        build_warc(load_spec(DEMO_DIR / "archive.json"), warc)
        print(f"built the sample archive from {DEMO_DIR / 'archive.json'}")
        with PywbServer([warc], work / "pywb") as server:
            base = server.start()
            print(f"pywb replays the sample archive at {base}", flush=True)
            kw = {
                "sites": str(DEMO_DIR / "sites.txt"),
                "from": a.from_,
                "to": a.to,
                "every": a.every,
                "archive": base,
            }
            status, manifest = run_spider("wayback", a.out, kw, _overrides(a), a)
    if status == EXIT_OK:  # the demo ends with what a researcher looks at first
        rep, card = report.write_all(Path(a.out))
        print(f"report: {rep.index} ({len(rep.figures)} figures); dataset card: {card}")
    if manifest:
        print(summary(manifest, a.out))
    return status


def _overrides(a: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"LOG_LEVEL": a.log_level}
    if a.workers is not None:
        out["POLICYARCHIVE_WORKERS"] = a.workers
    if getattr(a, "warc_out", None):
        out["POLICYARCHIVE_WARC_OUT"] = str(Path(a.warc_out).resolve())
    if getattr(a, "documents", None):
        try:
            out["POLICYARCHIVE_DOCUMENTS"] = ",".join(parse_documents(a.documents))
        except ValueError as exc:
            raise ConfigError(f"--documents: {exc}") from None
    for item in a.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageProblem(f"-s/--set takes NAME=VALUE, got {item!r}")
        out[key] = value
    out.update(distributed_settings(getattr(a, "redis", None), getattr(a, "run", None)))
    return out


def _distributed(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("one run on many nodes (docs/operations.md)")
    g.add_argument("--redis", metavar="URL", help="shared Redis, e.g. redis://10.0.0.5:6379/0")
    g.add_argument("--run", metavar="NAME", help="run name, the same on every node of the run")


def _common(
    p: argparse.ArgumentParser, out_required: bool = True, *, out: bool = True, warc: bool = True
) -> None:
    if out:
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
    p.add_argument(
        "--documents",
        default=None,
        metavar="KINDS",
        help="document types to store: privacy (default) or privacy,cookies to keep "
        "cookie-only policies too",
    )
    p.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the log file OUT/logs/<run_id>.log (default: INFO)",
    )
    if warc:
        p.add_argument(
            "--warc-out",
            metavar="DIR",
            default=None,
            help="also keep every page response used as WARC/1.1 files (+ index.cdxj) in DIR",
        )
    p.add_argument(
        "-s",
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable)",
    )
    console.add_flags(p)


def _command(
    sub: Any, name: str, help: str, epilog: str, description: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with examples, laid out as written."""
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=help,
        description=description or help,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


EPILOG = """\
examples:
  policyarchive demo --out /tmp/demo          # a first look, offline, in a few seconds
  policyarchive wayback --sites sites.txt --from 2010 --to 2020 --out out
  policyarchive status out                    # what out holds; what a rerun would fetch

Exit status: 0 success, 1 failure, 2 bad input (one sentence on stderr).
"""

WAYBACK_EPILOG = """\
examples:
  policyarchive wayback --sites sites.txt --from 2010 --to 2020 --out out
  policyarchive wayback --sites sites.txt --from 20150101 --to 20151231 --every month --out out
  policyarchive wayback --sites sites.txt --from 2005 --to 2014 \\
      --archive http://localhost:8080/my-coll --out out      # a pywb or other Wayback server

A rerun of the same command resumes: stored snapshots are not fetched again.
The terminal shows progress and warnings; the full log is OUT/logs/<run_id>.log.
In cron or CI (no terminal) a plain progress line comes every 30 s (--progress-interval).
"""

LIVE_EPILOG = """\
examples:
  policyarchive live --sites sites.txt --out out
  policyarchive live --sites sites.txt --every month --save-to-archive --out out
"""

DEMO_EPILOG = """\
examples:
  policyarchive demo                     # writes ./output
  policyarchive demo --out /tmp/demo --from 2008 --to 2012
"""

EXPORT_EPILOG = """\
examples:
  policyarchive export out out/markdown
"""

CLASSIFY_EPILOG = """\
examples:
  policyarchive classify clauses.csv --text-column text --out labelled.csv
  policyarchive classify opp115.csv --text-column text --document-column policy_id \\
      --out labelled.parquet
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policyarchive",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    w = _command(sub, "wayback", "policies over time from a web archive", WAYBACK_EPILOG)
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
        action="append",
        help="repeatable: ia | a base URL with Wayback URL shapes | commoncrawl"
        "[:CC-MAIN-2019-22,...] | memento:<TimeMap base URL> (default: the Internet Archive)",
    )
    w.add_argument(
        "--reach-timeout",
        type=float,
        default=REACH_TIMEOUT,
        metavar="SECONDS",
        help="how long the archive has to answer before the crawl starts (default: %(default)s)",
    )
    w.add_argument("--cc-index", help="where Common Crawl's collinfo.json lives (a mirror)")
    w.add_argument("--cc-data", help="the host Common Crawl's WARC filenames are relative to")
    _common(w)
    _distributed(w)
    w.set_defaults(func=cmd_wayback)

    lv = _command(sub, "live", "current policies from the live web", LIVE_EPILOG)
    lv.add_argument(
        "--sites", required=True, help="sites file: domain, homepage URL or site,policy_url"
    )
    lv.add_argument(
        "--every",
        default="half",
        choices=[c for c in EVERY_CHOICES if c != "capture"],
        help="snapshot period the fetch is filed under (default: half)",
    )
    lv.add_argument(
        "--save-to-archive",
        action="store_true",
        help="ask the Internet Archive's Save Page Now to preserve each policy fetched",
    )
    lv.add_argument("--save-endpoint", default=None, help=argparse.SUPPRESS)
    _common(lv)
    _distributed(lv)
    lv.set_defaults(func=cmd_live)

    e = _command(sub, "export", "one markdown file per document, in the seed format", EXPORT_EPILOG)
    e.add_argument("out", metavar="DIR", help="output directory of a crawl")
    e.add_argument("dest", metavar="DEST", help="where to write the markdown files")
    console.add_flags(e)
    e.set_defaults(func=cmd_export)

    c = _command(
        sub, "classify", "label texts in a CSV with the OPP-115 categories", CLASSIFY_EPILOG
    )
    c.add_argument("csv", metavar="CSV")
    c.add_argument("--text-column", required=True)
    c.add_argument(
        "--document-column",
        help="rows with the same value here, one after another, are one document's clauses "
        "in order: each is labelled with its heading, neighbours and position",
    )
    c.add_argument("--out", required=True, help="output .csv or .parquet")
    console.add_flags(c)
    c.set_defaults(func=cmd_classify)

    d = _command(sub, "demo", "offline demo: replay the bundled sample archive", DEMO_EPILOG)
    d.add_argument("--from", dest="from_", default="2005", help="start (default: 2005)")
    d.add_argument("--to", default="2014", help="end, inclusive (default: 2014)")
    candidates.add_parser(sub)  # crawler/commands/candidates.py
    d.add_argument("--every", default="half", choices=EVERY_CHOICES)
    _common(d, out_required=False)
    d.set_defaults(func=cmd_demo)
    report.add_parser(sub)

    changes_command.add_parser(sub)
    from crawler.commands import status

    status.add_parser(sub)
    ingest.add_parser(sub)
    reextract.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    name = f"policyarchive {args.command}"
    try:
        status = int(args.func(args))
        if console.SESSION.disk_full:
            # writers left open by the failed commit would print a traceback each when
            # garbage-collected at exit; the one sentence above already said what happened
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        return status
    except (ArgumentError, SitesFileError, ConfigError, UsageProblem, UsageError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PermissionError as exc:
        print(f"{name}: permission denied: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            where = getattr(args, "out", None) or exc.filename or "the output"
            crawl = args.command in ("wayback", "live", "demo")
            print(f"{name}: {console.disk_full_message(where, crawl)}", file=sys.stderr)
            console.quiet_disk_full()
            return EXIT_FAILED
        raise
    except KeyboardInterrupt:
        print(f"{name}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
