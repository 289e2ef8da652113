"""Run state in an embedded SQLite database beside the output (``<out>/state.sqlite``).

What it remembers, so a rerun of the same command fetches and writes only what is new:

* ``stored``: every document whose rows are committed (policy id, site, snapshot, source,
  archive, digests, capture) — the spider skips finished snapshots, the dedupe step skips
  documents already stored;
* ``outcomes``: every distinct fetch outcome already written to ``fetches`` (captures seen,
  URLs failed and why), with how often and when it was last seen — a rerun does not write
  the same outcome again;
* ``settled``: (site, snapshot) pairs an archive crawl decided for good without a
  document (no capture in the period, no policy found, not a policy) in a run in which
  nothing failed for that site — a rerun skips a site whose every snapshot is stored or
  settled, so a weekly job asks the archive only about what may be new;
* ``files``: every committed part file with its row count and sha256;
* ``pending``: a commit in flight (see :class:`CommitPayload`); ``recover`` rolls it forward
  or back when the next run starts;
* ``runs``: each run's start, end and status.

A batch of rows becomes visible in one commit: every temporary part is written, fsynced and
read back; the commit (files, documents, outcomes) is recorded as *pending* in SQLite; the
parts are renamed into place; then one SQLite transaction marks it all stored and clears
the pending row. A kill before the pending row leaves only temporaries (deleted on the next
start, their documents fetched again); a kill after it is rolled forward on the next start.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stored (
    policy_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    file TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    dataset TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    rows INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    commit_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    key TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    archive_url TEXT,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    detail TEXT,
    first_run TEXT NOT NULL,
    last_run TEXT NOT NULL,
    last_at TEXT NOT NULL,
    seen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settled (
    source TEXT NOT NULL,
    archive TEXT NOT NULL,
    site TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    outcome TEXT NOT NULL,
    run_id TEXT NOT NULL,
    settled_at TEXT NOT NULL,
    PRIMARY KEY (source, archive, site, snapshot)
);
CREATE TABLE IF NOT EXISTS pending (
    commit_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""

# columns added to ``stored`` after the first release; old databases gain them on open
_STORED_EXTRA = {
    "site": "TEXT",
    "snapshot": "TEXT",
    "source": "TEXT",
    "archive": "TEXT",
    "content_digest": "TEXT",
    "cdx_digest": "TEXT",
    "policy_url": "TEXT",
    "captured_at": "TEXT",
    "stored_at": "TEXT",
}


@dataclass
class StoredDoc:
    policy_id: str
    site: str
    snapshot: str
    source: str
    archive: str | None
    content_digest: str
    cdx_digest: str | None
    policy_url: str
    captured_at: str


@dataclass
class Outcome:
    key: str
    site: str
    snapshot: str
    kind: str
    url: str
    archive_url: str | None
    outcome: str
    http_status: int | None
    detail: str


@dataclass
class Settled:
    source: str
    archive: str
    site: str
    snapshot: str
    outcome: str


@dataclass
class SiteDone:
    """Yielded by a spider after everything else of one site: ``pages`` PolicyPages went out.

    The writer settles the site's negative snapshots once all those pages have come out of
    the pipelines, and only if nothing failed on the way (see ``settled`` above).
    """

    site: str
    source: str
    archive: str
    pages: int


@dataclass
class PendingFile:
    tmp: str  # relative to the output dir
    final: str
    dataset: str
    snapshot: str
    rows: int
    sha256: str


@dataclass
class CommitPayload:
    """Everything one commit makes visible: files, the documents in them, fetch outcomes."""

    commit_id: str
    run_id: str
    files: list[PendingFile] = field(default_factory=list)
    docs: list[StoredDoc] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CommitPayload:
        d = json.loads(text)
        return cls(
            commit_id=d["commit_id"],
            run_id=d["run_id"],
            files=[PendingFile(**f) for f in d["files"]],
            docs=[StoredDoc(**x) for x in d["docs"]],
            outcomes=[Outcome(**o) for o in d["outcomes"]],
            settled=[Settled(**x) for x in d.get("settled", [])],
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()


class StateStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit off; each write is its own short transaction
        self._db = sqlite3.connect(self.path, timeout=30)
        self._wal()
        self._db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(stored)")}
        for col, typ in _STORED_EXTRA.items():
            if col not in have:
                try:
                    self._db.execute(f"ALTER TABLE stored ADD COLUMN {col} {typ}")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):  # another node added it first
                        raise
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS stored_by_snapshot ON stored (source, site, snapshot)"
        )
        self._db.commit()

    def _wal(self, wait_s: float = 30.0) -> None:
        """Switch to WAL. Two nodes of a distributed run may open the output's record at
        the same moment; the switch does not wait for a lock the way other statements do."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- documents ----------------------------------------------------------------------
    def is_stored(self, policy_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM stored WHERE policy_id = ?", (policy_id,)).fetchone()
        return row is not None

    def mark_stored(self, policy_ids: Iterable[str], run_id: str, file: str) -> None:
        """Mark bare policy ids stored (no snapshot details; used by older callers)."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO stored (policy_id, run_id, file, stored_at) "
                "VALUES (?, ?, ?, ?)",
                [(pid, run_id, file, _now()) for pid in policy_ids],
            )

    def stored_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM stored").fetchone()[0])

    def stored_snapshots(
        self, source: str, archive: str | None = None
    ) -> dict[tuple[str, str], str]:
        """(site, snapshot) → when its document was stored, for one source (and archive)."""
        sql = "SELECT site, snapshot, MIN(stored_at) FROM stored WHERE source = ?"
        args: list[Any] = [source]
        if archive is not None:
            sql += " AND archive = ?"
            args.append(archive)
        sql += " AND site IS NOT NULL GROUP BY site, snapshot"
        return {(s, snap): at for s, snap, at in self._db.execute(sql, args)}

    def settled_snapshots(self, source: str, archive: str = "") -> dict[tuple[str, str], str]:
        """(site, snapshot) → when it was settled without a document."""
        rows = self._db.execute(
            "SELECT site, snapshot, settled_at FROM settled WHERE source = ? AND archive = ?",
            (source, archive),
        )
        return {(s, snap): at for s, snap, at in rows}

    # -- fetch outcomes -------------------------------------------------------------------
    def outcome_known(self, key: str) -> bool:
        row = self._db.execute("SELECT 1 FROM outcomes WHERE key = ?", (key,)).fetchone()
        return row is not None

    def failures(self) -> list[dict[str, Any]]:
        """URLs whose latest known outcome is not ok, with why and how often."""
        cur = self._db.execute(
            "SELECT site, snapshot, kind, url, outcome, http_status, detail, seen, last_run "
            "FROM outcomes WHERE outcome != 'ok' ORDER BY site, snapshot, url"
        )
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]

    # -- commits ------------------------------------------------------------------------
    def begin_commit(self, payload: CommitPayload) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO pending (commit_id, run_id, payload) VALUES (?, ?, ?)",
                (payload.commit_id, payload.run_id, payload.to_json()),
            )

    def finish_commit(self, payload: CommitPayload) -> None:
        """Mark the commit's files, documents and outcomes stored; one transaction."""
        now, run = _now(), payload.run_id
        file_of = {f.dataset: f.final for f in payload.files}
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO files (path, run_id, dataset, snapshot, rows, sha256, "
                "commit_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (f.final, run, f.dataset, f.snapshot, f.rows, f.sha256, payload.commit_id)
                    for f in payload.files
                ],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO stored (policy_id, run_id, file, site, snapshot, source, "
                "archive, content_digest, cdx_digest, policy_url, captured_at, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.policy_id,
                        run,
                        file_of.get("policies", ""),
                        d.site,
                        d.snapshot,
                        d.source,
                        d.archive,
                        d.content_digest,
                        d.cdx_digest,
                        d.policy_url,
                        d.captured_at,
                        now,
                    )
                    for d in payload.docs
                ],
            )
            self._db.executemany(
                "INSERT INTO outcomes (key, site, snapshot, kind, url, archive_url, outcome, "
                "http_status, detail, first_run, last_run, last_at, seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT(key) DO UPDATE SET seen = seen + 1, last_run = excluded.last_run, "
                "last_at = excluded.last_at",
                [
                    (
                        o.key,
                        o.site,
                        o.snapshot,
                        o.kind,
                        o.url,
                        o.archive_url,
                        o.outcome,
                        o.http_status,
                        o.detail,
                        run,
                        run,
                        now,
                    )
                    for o in payload.outcomes
                ],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO settled (source, archive, site, snapshot, outcome, "
                "run_id, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (x.source, x.archive, x.site, x.snapshot, x.outcome, run, now)
                    for x in payload.settled
                ],
            )
            self._db.execute("DELETE FROM pending WHERE commit_id = ?", (payload.commit_id,))

    def drop_pending(self, commit_id: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM pending WHERE commit_id = ?", (commit_id,))

    def pending_commits(self) -> list[CommitPayload]:
        rows = self._db.execute("SELECT payload FROM pending ORDER BY rowid").fetchall()
        return [CommitPayload.from_json(r[0]) for r in rows]

    def run_files(self, run_id: str) -> list[dict[str, Any]]:
        cur = self._db.execute(
            "SELECT dataset, snapshot, path, rows, sha256 FROM files WHERE run_id = ? "
            "ORDER BY rowid",
            (run_id,),
        )
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]

    # -- runs ---------------------------------------------------------------------------
    def run_started(self, run_id: str, started_at: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (run_id, started_at, status) VALUES (?, ?, 'running')",
                (run_id, started_at),
            )

    def run_finished(self, run_id: str, finished_at: str, status: str) -> None:
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                (finished_at, status, run_id),
            )

    def unfinished_runs(self) -> list[tuple[str, str]]:
        """(run_id, started_at) of runs that never recorded an end: they were killed."""
        return self._db.execute(
            "SELECT run_id, started_at FROM runs WHERE status = 'running' ORDER BY started_at"
        ).fetchall()

    def has_runs(self) -> bool:
        return self._db.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is not None

    def absorb(self, other: Path) -> None:
        """Copy another record's documents, outcomes, settled snapshots, files and runs into
        this one (what is here already wins); ``other`` has no pending commit left."""
        self._db.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            with self._db:
                for table in ("stored", "outcomes", "settled", "files", "runs"):
                    theirs = {r[1] for r in self._db.execute(f"PRAGMA other.table_info({table})")}
                    cols = ", ".join(
                        r[1]
                        for r in self._db.execute(f"PRAGMA main.table_info({table})")
                        if r[1] in theirs
                    )
                    self._db.execute(
                        f"INSERT OR IGNORE INTO main.{table} ({cols}) "
                        f"SELECT {cols} FROM other.{table}"
                    )
        finally:
            self._db.execute("DETACH DATABASE other")

    def close(self) -> None:
        self._db.close()


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def recover(out_dir: str | Path, store: StateStore) -> tuple[int, int]:
    """Finish or undo the commits a killed run left pending; (rolled forward, rolled back).

    Forward when every file of the commit is either in place or a complete temporary with
    the recorded checksum; otherwise back: the commit's files are removed and its documents
    stay unstored, so the next run fetches them again. Call it holding the output lock.
    """
    from pipelines.storage.parquet import fsync_dir, sha256_file

    out = Path(out_dir)
    forward = back = 0
    for payload in store.pending_commits():
        ok = True
        for f in payload.files:
            final, tmp = out / f.final, out / f.tmp
            if final.exists():
                ok = ok and sha256_file(final) == f.sha256
            elif tmp.exists():
                ok = ok and sha256_file(tmp) == f.sha256
            else:
                ok = False
        if ok:
            for f in payload.files:
                final, tmp = out / f.final, out / f.tmp
                if not final.exists():
                    os.replace(tmp, final)
                    fsync_dir(final.parent)
            store.finish_commit(payload)
            forward += 1
            logger.warning(
                "completed commit %s of interrupted run %s (%d files, %d documents)",
                payload.commit_id,
                payload.run_id,
                len(payload.files),
                len(payload.docs),
            )
        else:
            for f in payload.files:
                _unlink(out / f.final)
                _unlink(out / f.tmp)
            store.drop_pending(payload.commit_id)
            back += 1
            logger.warning(
                "undid commit %s of interrupted run %s: its files were incomplete; "
                "its %d documents will be fetched again",
                payload.commit_id,
                payload.run_id,
                len(payload.docs),
            )
    return forward, back


class StoredSnapshots:
    """Which (site, snapshot) pairs are done — a stored document, or settled without one —
    for a spider to skip.

    A snapshot whose period was still open when it was done is not skipped: a capture
    closer to the period's middle may have appeared since.
    """

    def __init__(self, out_dir: str | Path, source: str, archive: str | None = None) -> None:
        path = Path(out_dir) / "state.sqlite"
        self._stored: dict[tuple[str, str], str] = {}
        if path.exists():
            store = StateStore(path)
            try:
                self._stored = store.settled_snapshots(source, archive or "")
                self._stored.update(store.stored_snapshots(source, archive))
            finally:
                store.close()

    def __len__(self) -> int:
        return len(self._stored)

    def has(self, site: str, snapshot: str, period_end: datetime | None = None) -> bool:
        at = self._stored.get((site, snapshot))
        if at is None:
            return False
        if period_end is None or not at:
            return True
        return period_end <= datetime.fromisoformat(at)
