"""What a user sees while a command runs: live progress, a quiet terminal, a full log file.

* On a terminal, progress is a live display (rich) redrawn a few times a second: sites done
  of the total, documents stored, failures by reason, the current rate and an ETA, and a
  line for every endpoint the crawl waits on (rate limit, back-off, circuit breaker).
* Anywhere else (cron, Scrapyd, CI, a pipe) it is one plain line every
  ``POLICYARCHIVE_PROGRESS_INTERVAL`` seconds (default 30), without control characters.
* Scrapy's log and ours go in full (INFO) to ``OUT/logs/<run_id>.log``; the terminal shows
  WARNING and above (``-v``: everything, ``-q``: errors only).

The pieces are usable by any long command: :class:`TaskProgress` for a count of items
(``classify`` passes its ``update`` as a callback), :class:`ProgressExtension` for a crawl.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

logger = logging.getLogger(__name__)

INTERVAL_ENV = "POLICYARCHIVE_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 30.0  # seconds between plain progress lines
RATE_WINDOW = 300.0  # seconds of history behind "current rate"
TOP_REASONS = 4
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"

# verbosity: how much of the log reaches the terminal
QUIET, NORMAL, VERBOSE = -1, 0, 1


# -- pure formatting ----------------------------------------------------------------------
@dataclass(frozen=True)
class Wait:
    """The crawl waits on ``endpoint`` until ``until`` (UTC) because of ``why``."""

    endpoint: str
    why: str
    until: datetime


@dataclass
class Snapshot:
    """Where a command stands, for one redraw or one plain line."""

    label: str  # the command: wayback, live, classify ...
    done: int
    total: int | None
    unit: str = "sites"
    elapsed: float = 0.0
    rate: float | None = None  # units per second, over the last few minutes
    documents: int | None = None
    failures: dict[str, int] = field(default_factory=dict)
    waits: list[Wait] = field(default_factory=list)
    note: str = ""

    @property
    def eta(self) -> float | None:
        if self.total is None or not self.rate or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate


def duration(seconds: float) -> str:
    """3 s, 4 min 05 s, 2 h 07 min: short and readable."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # unreachable


def rate_text(rate: float | None, unit: str) -> str:
    if not rate:
        return f"— {unit}/min"
    per_min = rate * 60
    return f"{per_min:.1f} {unit}/min" if per_min < 10 else f"{per_min:.0f} {unit}/min"


def failures_text(failures: dict[str, int], top: int = TOP_REASONS) -> str:
    if not failures:
        return "no failures"
    ranked = sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(failures.values())
    head = ", ".join(f"{k} {v}" for k, v in ranked[:top])
    more = f", {len(ranked) - top} more reasons" if len(ranked) > top else ""
    return f"{total} failures ({head}{more})"


def wait_text(w: Wait, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    left = max(0.0, (w.until - now).total_seconds())
    return f"waiting on {w.endpoint} until {w.until:%H:%M:%S} UTC ({duration(left)}): {w.why}"


def plain_line(s: Snapshot, now: datetime | None = None) -> str:
    """One progress line for logs and pipes: printable ASCII-ish text, no control characters."""
    total = f"/{s.total}" if s.total is not None else ""
    parts = [f"{s.label}: {s.done}{total} {s.unit}"]
    if s.documents is not None:
        parts.append(f"{s.documents} documents")
    if s.documents is not None or s.failures:
        parts.append(failures_text(s.failures))
    parts.append(rate_text(s.rate, s.unit))
    eta = s.eta
    parts.append(f"ETA {duration(eta)}" if eta is not None else "ETA —")
    parts.append(f"elapsed {duration(s.elapsed)}")
    if s.note:
        parts.append(s.note)
    line = ", ".join(parts)
    for w in s.waits:
        line += "; " + wait_text(w, now)
    return "".join(ch for ch in line if ch.isprintable())


class RateMeter:
    """Units per second over the last ``window`` seconds (the current rate, not the mean)."""

    def __init__(self, window: float = RATE_WINDOW, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, done: int) -> float | None:
        now = self.clock()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()
        t0, d0 = self.samples[0]
        if now - t0 < 1.0:
            return None
        return (done - d0) / (now - t0)


# -- displays -----------------------------------------------------------------------------
def interval_default() -> float:
    try:
        return max(0.1, float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def is_terminal(stream: IO[str]) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


class Display:
    """Shows snapshots; ``update`` may be called often, the display decides what to draw."""

    def start(self) -> None:
        pass

    def update(self, snap: Snapshot) -> None:
        pass

    def stop(self, snap: Snapshot | None = None) -> None:
        pass


class PlainDisplay(Display):
    """One line every ``interval`` seconds, and one at the end."""

    def __init__(self, stream: IO[str], interval: float) -> None:
        self.stream = stream
        self.interval = interval
        self.last = time.monotonic()
        self.written: tuple[Any, ...] | None = None

    def update(self, snap: Snapshot) -> None:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._write(snap)

    def stop(self, snap: Snapshot | None = None) -> None:
        if snap is not None and self._counts(snap) != self.written:
            self._write(snap)  # the final state, unless the last line said it already

    @staticmethod
    def _counts(snap: Snapshot) -> tuple[Any, ...]:
        return snap.done, snap.total, snap.documents, sorted(snap.failures.items()), snap.note

    def _write(self, snap: Snapshot) -> None:
        self.written = self._counts(snap)
        try:
            self.stream.write(plain_line(snap) + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe must not stop the crawl


class RichDisplay(Display):
    """A live block on the terminal: a bar, the counts, one line per wait."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = Live(console=console, refresh_per_second=4, transient=False)

    def start(self) -> None:
        self.live.start()

    def render(self, s: Snapshot) -> Group:
        grid = Table.grid(padding=(0, 1))
        total = s.total if s.total is not None else None
        bar = ProgressBar(total=total, completed=s.done, width=30, pulse=total is None)
        eta = s.eta
        count = f"{s.done}/{s.total} {s.unit}" if s.total is not None else f"{s.done} {s.unit}"
        grid.add_row(
            Text(s.label, style="bold"),
            bar,
            Text(count),
            Text(rate_text(s.rate, s.unit), style="cyan"),
            Text(f"ETA {duration(eta)}" if eta is not None else "ETA —", style="cyan"),
            Text(f"elapsed {duration(s.elapsed)}", style="dim"),
        )
        lines: list[Any] = [grid]
        if s.documents is not None:
            color = "yellow" if s.failures else "green"
            lines.append(
                Text(f"  {s.documents} documents stored · ")
                + Text(failures_text(s.failures), style=color)
            )
        if s.note:
            lines.append(Text("  " + s.note, style="dim"))
        now = datetime.now(UTC)
        for w in s.waits:
            lines.append(Text("  ⏸ " + wait_text(w, now), style="magenta"))
        return Group(*lines)

    def update(self, snap: Snapshot) -> None:
        self.live.update(self.render(snap))

    def stop(self, snap: Snapshot | None = None) -> None:
        if snap is not None:
            self.live.update(self.render(snap), refresh=True)
        self.live.stop()


def make_display(mode: str, console: Console | None = None, interval: float | None = None):
    """``rich``, ``plain`` or ``off`` → a Display writing to stderr."""
    if mode == "rich":
        return RichDisplay(console or Console(stderr=True))
    if mode == "plain":
        return PlainDisplay(sys.stderr, interval if interval is not None else interval_default())
    return Display()


# -- the session: logging + a display for one command ---------------------------------------
class _Session:
    console: Console | None = None
    mode: str = "off"
    interval: float = DEFAULT_INTERVAL
    log_path: Path | None = None
    disk_full: bool = False


SESSION = _Session()


class _DiskFullWatch(logging.Handler):
    """Notes a full disk anywhere in the run (Scrapy logs pipeline errors instead of raising)."""

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if (
            isinstance(exc, OSError)
            and exc.errno == errno.ENOSPC
            or "database or disk is full" in str(exc or "")
            or "No space left" in record.getMessage()
        ):
            SESSION.disk_full = True


class _LogFile(logging.FileHandler):
    """The run's log file; a full disk turns it off quietly (the exit message says why)
    instead of printing logging's "--- Logging error ---" traceback for every line."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            SESSION.disk_full = True
            self.setLevel(logging.CRITICAL + 1)  # stop trying
            return
        super().handleError(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last flush on a full disk
            if exc.errno != errno.ENOSPC:
                raise
            SESSION.disk_full = True


class _NoTraceback(logging.Formatter):
    """Terminal lines without tracebacks: they are in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        if saved[0] and SESSION.log_path:
            text += f" (traceback in {SESSION.log_path})"
        return text


def choose_mode(verbosity: int, progress: str | None = None) -> str:
    """``auto`` → rich on a terminal, plain elsewhere; quiet means no progress."""
    if progress and progress != "auto":
        return progress
    if verbosity == QUIET:
        return "off"
    return "rich" if is_terminal(sys.stderr) else "plain"


@contextmanager
def session(
    log_path: Path | None,
    verbosity: int = NORMAL,
    progress: str | None = None,
    log_level: str = "INFO",
    interval: float | None = None,
) -> Iterator[_Session]:
    """Route logging for one command: full log to ``log_path``, a filtered terminal."""
    mode = choose_mode(verbosity, progress)
    console = Console(stderr=True) if mode == "rich" else None
    root = logging.getLogger()
    added: list[logging.Handler] = []
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = _LogFile(log_path, encoding="utf-8")
        fh.setLevel(log_level)
        fh.setFormatter(logging.Formatter(LOG_FORMAT))
        added.append(fh)
    term_level = {QUIET: logging.ERROR, NORMAL: logging.WARNING}.get(verbosity, log_level)
    # RichHandler draws time and level itself; a plain stream gets Scrapy's line format.
    # Tracebacks stay in the log file unless -v.
    fmt = "%(message)s" if console is not None else LOG_FORMAT
    th: logging.Handler = (
        RichHandler(console=console, show_path=False, markup=False)
        if console is not None
        else logging.StreamHandler(sys.stderr)
    )
    th.setFormatter(logging.Formatter(fmt) if verbosity == VERBOSE else _NoTraceback(fmt))
    th.setLevel(term_level)
    added += [th, _DiskFullWatch(logging.ERROR)]
    old_level = root.level
    root.setLevel(logging.DEBUG if log_level == "DEBUG" else logging.INFO)
    for h in added:
        root.addHandler(h)
    SESSION.console, SESSION.mode, SESSION.log_path = console, mode, log_path
    SESSION.interval = interval if interval is not None else interval_default()
    SESSION.disk_full = False
    try:
        yield SESSION
    finally:
        for h in added:
            root.removeHandler(h)
            h.close()
        root.setLevel(old_level)
        SESSION.console, SESSION.mode = None, "off"  # disk_full stays: main() reads it


def session_display() -> Display:
    return make_display(SESSION.mode, SESSION.console, SESSION.interval)


# -- a generic progress for long commands -------------------------------------------------
class TaskProgress:
    """Progress of a command that counts items (rows, documents, files).

    Use as a context manager; pass ``update`` as a callback to code that must not import
    the crawler (``pipelines/``): ``update(done, total=None, note="")``.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "items",
        display: Display | None = None,
    ) -> None:
        self.snap = Snapshot(label=label, done=0, total=total, unit=unit)
        self.display = display or session_display()
        self.meter = RateMeter()
        self.started = time.monotonic()

    def __enter__(self) -> TaskProgress:
        self.display.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.snap.elapsed = time.monotonic() - self.started
        # after an error, the error's one sentence is what the user needs, not a last line
        self.display.stop(self.snap if exc_type is None else None)

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        self.snap.done = done
        if total is not None:
            self.snap.total = total
        self.snap.note = note
        self.snap.elapsed = time.monotonic() - self.started
        self.snap.rate = self.meter.add(done)
        self.display.update(self.snap)

    def advance(self, n: int = 1) -> None:
        self.update(self.snap.done + n)


# -- the crawl: a Scrapy extension reading stats ------------------------------------------
def crawl_snapshot(stats: dict[str, Any], label: str, total: int | None) -> Snapshot:
    """Counts out of a crawl's stats (pure: the tests feed it plain dicts)."""
    prefix = "policyarchive/fetches/"
    failures = {
        k[len(prefix) :]: int(v)
        for k, v in stats.items()
        if k.startswith(prefix) and k != prefix + "ok" and v
    }
    return Snapshot(
        label=label,
        done=int(stats.get("policyarchive/sites_done", 0)),
        total=total,
        documents=int(stats.get("policyarchive/documents_stored", 0)),
        failures=failures,
    )


def politeness_waits(crawler: Any) -> list[Wait]:
    """What the politeness middleware is waiting on now (empty if it is not installed)."""
    from crawler.middlewares import PolitenessMiddleware

    engine = getattr(crawler, "engine", None)
    downloader = getattr(engine, "downloader", None)
    manager = getattr(downloader, "middleware", None)
    for mw in getattr(manager, "middlewares", ()):
        if isinstance(mw, PolitenessMiddleware):
            now = datetime.now(UTC)
            return [
                Wait(name, why, now + timedelta(seconds=left)) for name, why, left in mw.waiting()
            ]
    return []


class ProgressExtension:
    """Progress of a crawl, drawn from its stats every second (``POLICYARCHIVE_PROGRESS``).

    Off unless the setting names a mode (``rich``, ``plain``; the console script sets it), so
    ``scrapy crawl`` behaves as before.
    """

    TICK = 1.0

    def __init__(self, crawler: Any, display: Display) -> None:
        self.crawler = crawler
        self.display = display
        self.meter = RateMeter()
        self.started = time.monotonic()
        self.total: int | None = None
        self.label = ""
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressExtension:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        mode = crawler.settings.get("POLICYARCHIVE_PROGRESS") or "off"
        if mode == "off":
            raise NotConfigured
        interval = crawler.settings.getfloat("POLICYARCHIVE_PROGRESS_INTERVAL", 0) or None
        if SESSION.mode == mode and SESSION.console is not None:
            display: Display = RichDisplay(SESSION.console)
        else:
            display = make_display(mode, interval=interval or SESSION.interval)
        ext = cls(crawler, display)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task

        args = getattr(spider, "args", None)
        sites = getattr(args, "sites", None)
        self.total = len(sites) if sites is not None else None
        self.label = spider.name
        self.started = time.monotonic()
        self.display.start()
        self.task = task.LoopingCall(self.tick)
        self.task.start(self.TICK, now=True)

    def snapshot(self) -> Snapshot:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        snap = crawl_snapshot(stats, self.label, self.total)
        snap.elapsed = time.monotonic() - self.started
        snap.rate = self.meter.add(snap.done)
        snap.waits = politeness_waits(self.crawler)
        if self.total and snap.done >= self.total:
            # every site fetched; worker processes may still be extracting documents
            snap.note = "all sites fetched; finishing extraction and writing"
        return snap

    def tick(self) -> None:
        try:
            self.display.update(self.snapshot())
        except Exception:  # the display must never stop a crawl
            logger.debug("progress display failed", exc_info=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        snap = self.snapshot()
        snap.waits, snap.note = [], ""
        self.display.stop(snap)


def quiet_disk_full() -> None:
    """After a full disk, writers left open by the failed commit fail again when garbage
    collected, each with an "Exception ignored" traceback; the one sentence says it all."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, OSError) and (exc.errno == errno.ENOSPC or "No space left" in str(exc)):
            return
        previous(unraisable)

    sys.unraisablehook = hook


def disk_full_message(path: str | Path, resumable: bool = True) -> str:
    if not resumable:
        return f"no space left on the disk holding {path}; free some space and run it again"
    return (
        f"no space left on the disk holding {path}; free some space and rerun the same "
        "command: what was committed stays, the rest is redone"
    )


# -- command-line flags every command shares ------------------------------------------------
def add_flags(p: Any) -> None:
    """``-v``, ``-q``, ``--progress``, ``--progress-interval`` on an argparse parser."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-v", "--verbose", action="store_true", help="show the full log on the terminal too"
    )
    g.add_argument("-q", "--quiet", action="store_true", help="show only errors (no progress)")
    p.add_argument(
        "--progress",
        default="auto",
        choices=["auto", "rich", "plain", "off"],
        help="progress display: live on a terminal, a plain line otherwise (default: auto)",
    )
    p.add_argument(
        "--progress-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds between plain progress lines (default: ${INTERVAL_ENV} or "
        f"{DEFAULT_INTERVAL:.0f})",
    )


def verbosity(args: Any) -> int:
    if getattr(args, "quiet", False):
        return QUIET
    return VERBOSE if getattr(args, "verbose", False) else NORMAL


@contextmanager
def command_session(args: Any, log_path: Path | None = None) -> Iterator[_Session]:
    """``session`` configured from the shared flags (see ``add_flags``)."""
    with session(
        log_path,
        verbosity(args),
        getattr(args, "progress", None),
        getattr(args, "log_level", "INFO") or "INFO",
        getattr(args, "progress_interval", None),
    ) as s:
        yield s
