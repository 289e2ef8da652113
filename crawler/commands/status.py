"""``policyarchive status OUT``: what an output directory holds and what a rerun would do.

Reads only: the run manifests (``OUT/runs/*.json``), the state database
(``OUT/state.sqlite``, opened read-only) and the lock (``OUT/.lock``). It never writes.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sqlite3
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2
TOP = 5

EPILOG = """\
examples:
  policyarchive status output
  policyarchive status /data/weekly-crawl

Runs are "complete" (finished), "incomplete: <reason>" (stopped early: Ctrl-C, circuit
breaker, ...), "interrupted" (killed; the next run rolled it back or forward), "running"
(a process holds OUT/.lock now) or "killed" (no end recorded and nobody holds the lock:
the next run will clean it up).
"""


class NotAnOutput(Exception):
    pass


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "status",
        help="what an output directory holds; what a rerun would fetch",
        description="What an output directory holds: its runs, documents per snapshot and "
        "source, sites without documents and why, and what a rerun would fetch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", metavar="OUT", help="output directory of a crawl")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        st = collect(Path(args.out))
    except NotAnOutput as exc:
        print(f"policyarchive status: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(st, indent=2, default=str))
    else:
        print(render(st))
    return EXIT_OK


# -- reading ------------------------------------------------------------------------------
def lock_holder(out: Path) -> str | None:
    """The pid written in OUT/.lock if a process holds the lock now, else None."""
    path = out / ".lock"
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.read(fd, 64).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)  # closing releases a lock we may have taken
    return None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return sqlite3.connect(path, timeout=10)


def _manifests(out: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((out / "runs").glob("*.json")):
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found[str(m.get("run_id") or path.stem)] = m
    return found


@dataclass
class _Db:
    runs: list[tuple[str, str, str | None, str]]
    docs: list[tuple[str, str, int]]  # snapshot, source, count
    sites_with_docs: set[str]
    outcomes: list[tuple[str, str, int]]  # site, outcome, count
    stored: dict[tuple[str, str, str, str], str]  # (source, archive, site, snapshot) → at
    settled: dict[tuple[str, str, str, str], str]


def _read_db(path: Path) -> _Db:
    db = _connect(path)
    try:
        runs = db.execute(
            "SELECT run_id, started_at, finished_at, status FROM runs ORDER BY started_at"
        ).fetchall()
        docs = db.execute(
            "SELECT COALESCE(snapshot, '?'), COALESCE(source, '?'), COUNT(*) FROM stored "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        sites = {r[0] for r in db.execute("SELECT DISTINCT site FROM stored") if r[0]}
        outcomes = db.execute(
            "SELECT site, outcome, COUNT(*) FROM outcomes GROUP BY site, outcome"
        ).fetchall()
        stored = {
            (src or "", arc or "", site, snap): at or ""
            for src, arc, site, snap, at in db.execute(
                "SELECT source, archive, site, snapshot, MIN(stored_at) FROM stored "
                "WHERE site IS NOT NULL GROUP BY source, archive, site, snapshot"
            )
        }
        settled = {
            (src, arc, site, snap): at
            for src, arc, site, snap, at in db.execute(
                "SELECT source, archive, site, snapshot, settled_at FROM settled"
            )
        }
    except sqlite3.Error as exc:
        raise NotAnOutput(f"cannot read {path}: {exc}") from None
    finally:
        db.close()
    return _Db(runs, docs, sites, outcomes, stored, settled)


def collect(out: Path) -> dict[str, Any]:
    """Everything ``status`` prints, as plain data."""
    state = out / "state.sqlite"
    if not out.is_dir():
        raise NotAnOutput(f"{out} is not a directory")
    if not state.exists() and not (out / "runs").is_dir():
        raise NotAnOutput(
            f"{out} is not a policyarchive output directory (no runs/ and no state.sqlite)"
        )
    manifests = _manifests(out)
    db = _read_db(state) if state.exists() else _Db([], [], set(), [], {}, {})
    holder = lock_holder(out)
    runs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for run_id, started, finished, status in db.runs:
        m = manifests.get(run_id, {})
        if status == "running":
            status = f"running (pid {holder})" if holder else "killed"
        runs.append(_run_row(run_id, started, finished, status, m))
        seen.add(run_id)
    for run_id, m in manifests.items():
        if run_id not in seen:
            runs.append(
                _run_row(run_id, m.get("started_at"), m.get("finished_at"), m.get("status"), m)
            )
    runs.sort(key=lambda r: r["started_at"] or "")
    return {
        "out": str(out),
        "runs": runs,
        "documents": [{"snapshot": a, "source": b, "documents": n} for a, b, n in db.docs],
        "sites_with_documents": len(db.sites_with_docs),
        "sites_without": _sites_without(db),
        "failure_reasons": _reasons(db),
        "rerun": rerun_forecast(runs, db),
        "locked_by": holder,
    }


def _run_row(
    run_id: str, started: str | None, finished: str | None, status: str | None, m: dict[str, Any]
) -> dict[str, Any]:
    counts = m.get("counts", {})
    return {
        "run_id": run_id,
        "spider": m.get("spider"),
        "status": status or "?",
        "started_at": started,
        "finished_at": finished,
        "arguments": m.get("arguments", {}),
        "documents": counts.get("rows", {}).get("policies"),
        "log": m.get("log"),
    }


def _reasons(db: _Db) -> list[tuple[str, int]]:
    c: Counter[str] = Counter()
    for _site, outcome, n in db.outcomes:
        if outcome != "ok":
            c[outcome] += n
    return c.most_common(TOP)


def _sites_without(db: _Db) -> dict[str, Any]:
    """Sites with fetch outcomes but no stored document, grouped by their commonest reason."""
    per_site: dict[str, Counter[str]] = {}
    for site, outcome, n in db.outcomes:
        if site in db.sites_with_docs or outcome == "ok":
            per_site.setdefault(site, Counter())
            continue
        per_site.setdefault(site, Counter())[outcome] += n
    without = {s: c for s, c in per_site.items() if s not in db.sites_with_docs}
    by_reason: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for site, c in sorted(without.items()):
        reason = c.most_common(1)[0][0] if c else "no failure recorded"
        by_reason[reason] += 1
        examples.setdefault(reason, []).append(site)
    return {
        "count": len(without),
        "by_reason": [
            {"reason": r, "sites": n, "examples": examples[r][:3]}
            for r, n in by_reason.most_common(TOP)
        ],
    }


def rerun_forecast(runs: list[dict[str, Any]], db: _Db) -> dict[str, Any]:
    """What the last run's command would fetch if run again now (the spiders' own rules)."""
    last = next((r for r in reversed(runs) if r["arguments"].get("sites")), None)
    if last is None:
        return {"answer": "unknown", "why": "no run recorded its arguments"}
    a = last["arguments"]
    if last["spider"] == "live":
        return {
            "answer": "yes",
            "why": "a live crawl fetches every site again (live pages change); documents "
            "already stored are not written twice",
        }
    if a.get("every") == "capture":
        return {
            "answer": "yes",
            "why": "--every capture asks the archive about every site on each run",
        }
    try:
        from crawler.sites import read_sites_file
        from pipelines.history.periods import plan_periods

        sites = read_sites_file(a["sites"])
        periods = plan_periods(
            datetime.fromisoformat(a["from"]), datetime.fromisoformat(a["to"]), a["every"]
        )
    except Exception as exc:  # the sites file moved, an old manifest: say so
        return {"answer": "unknown", "why": f"cannot re-read the last run's arguments ({exc})"}
    archive = a.get("archive") or ""
    open_sites, open_pairs = [], 0
    for entry in sites:
        n = sum(1 for p in periods if not _done(db, archive, entry.site, p.label, p.end))
        if n:
            open_sites.append(entry.site)
            open_pairs += n
    if not open_sites:
        why = (
            f"every snapshot of the {len(sites)} sites in {a['sites']} is stored or settled; "
            "a rerun asks the archive nothing"
        )
        return {"answer": "no", "why": why, "sites": 0, "snapshots": 0}
    why = (
        f"{len(open_sites)} of {len(sites)} sites have {open_pairs} snapshots neither stored "
        "nor settled (no capture, a failure, or a period still open): a rerun asks the "
        f"archive about them again (e.g. {', '.join(open_sites[:3])})"
    )
    return {
        "answer": "yes",
        "why": why,
        "sites": len(open_sites),
        "snapshots": open_pairs,
        "command": last["run_id"],
    }


def _done(db: _Db, archive: str, site: str, snapshot: str, period_end: datetime) -> bool:
    # the spider's rule (pipelines/storage/state.py StoredSnapshots): done when stored or
    # settled after the period ended
    at = db.stored.get(("wayback", archive, site, snapshot))
    if at is None:
        at = db.settled.get(("wayback", archive, site, snapshot))
    if at is None:
        return False
    return not at or period_end <= datetime.fromisoformat(at)


# -- printing -----------------------------------------------------------------------------
def _t(ts: str | None) -> str:
    return ts[:19].replace("T", " ") if ts else "—"


def render(st: dict[str, Any]) -> str:
    lines = [f"{st['out']}"]
    if st["locked_by"]:
        lines.append(f"  a run is writing here now (pid {st['locked_by']})")
    lines.append(f"runs ({len(st['runs'])}):")
    for r in st["runs"][-10:]:
        a = r["arguments"]
        args = " ".join(
            f"--{k} {str(v)[:10] if k in ('from', 'to') else v}"
            for k, v in a.items()
            if k in ("sites", "from", "to", "every", "archive")
        )
        docs = f", {r['documents']} documents" if r["documents"] is not None else ""
        lines.append(
            f"  {r['run_id']}  {r['spider'] or '?'}  {r['status']}{docs}  "
            f"{_t(r['started_at'])} → {_t(r['finished_at'])}"
        )
        if args:
            lines.append(f"      {args[:160]}")
    if len(st["runs"]) > 10:
        lines.append(f"  ... and {len(st['runs']) - 10} earlier runs (--json lists all)")
    total = sum(d["documents"] for d in st["documents"])
    lines.append(f"documents: {total} from {st['sites_with_documents']} sites")
    by_source: dict[str, list[str]] = {}
    for d in st["documents"]:
        by_source.setdefault(d["source"], []).append(f"{d['snapshot']} {d['documents']}")
    for source, snaps in by_source.items():
        n = sum(d["documents"] for d in st["documents"] if d["source"] == source)
        # non-breaking spaces keep "2013H1 6" on one line; swapped back after wrapping
        text = f"{source}: {n} in {len(snaps)} snapshots: " + ", ".join(
            x.replace(" ", "\u00a0") for x in snaps
        )
        wrapped = textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="    ")
        lines += [w.replace("\u00a0", " ") for w in wrapped]
    sw = st["sites_without"]
    lines.append(f"sites without documents: {sw['count']}")
    for r in sw["by_reason"]:
        lines.append(f"  {r['reason']}: {r['sites']} (e.g. {', '.join(r['examples'])})")
    if st["failure_reasons"]:
        lines.append(
            "top failure reasons: " + ", ".join(f"{k} {v}" for k, v in st["failure_reasons"])
        )
    rr = st["rerun"]
    lines.append(f"would a rerun fetch anything? {rr['answer']}: {rr['why']}")
    return "\n".join(lines)
