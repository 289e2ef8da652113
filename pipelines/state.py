"""Run state in an embedded SQLite database beside the output (``<out>/state.sqlite``).

It remembers which documents are already stored so a rerun of the same command fetches
and writes only what is new. A document counts as stored once the Parquet part holding its
row has been committed (renamed into place), never earlier.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

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
"""


class StateStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit off; each write is its own short transaction
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def is_stored(self, policy_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM stored WHERE policy_id = ?", (policy_id,)).fetchone()
        return row is not None

    def mark_stored(self, policy_ids: Iterable[str], run_id: str, file: str) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO stored (policy_id, run_id, file) VALUES (?, ?, ?)",
                [(pid, run_id, file) for pid in policy_ids],
            )

    def stored_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM stored").fetchone()[0])

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

    def close(self) -> None:
        self._db.close()
