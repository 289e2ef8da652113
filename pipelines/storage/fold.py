"""The records of a distributed run's nodes, folded into the output's own record.

Each node of a distributed run keeps its SQLite record in ``<out>/nodes/<node>/`` while it
runs, and what the run stores is shared through Redis under the run's name. Once a node is
gone (finished, or killed), its record is folded into ``<out>/state.sqlite``: its unfinished
commit is finished or undone first (:func:`~pipelines.storage.state.recover`), then its
documents, outcomes, settled snapshots, files and runs are copied, and its directory goes.
So every later run, single or distributed and under any run name, sees what every earlier
run stored, and a rerun never stores a document twice.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from pathlib import Path

from pipelines.storage.lock import OutputLocked, lock_output
from pipelines.storage.state import StateStore, recover

logger = logging.getLogger(__name__)

NODES = "nodes"


def fold_node(out_dir: Path, home: Path, main: StateStore) -> bool:
    """Fold one node's record into ``main`` and remove its directory; the caller holds the
    node's lock. False when it has nothing to fold (no record, or a node that has not
    started its run)."""
    db = home / "state.sqlite"
    if not db.exists():
        return False
    node = StateStore(db)
    try:
        if not node.has_runs():
            return False  # a node between its start and its first run record
        recover(out_dir, node)  # its unfinished commit, forward or back
    finally:
        node.close()
    main.absorb(db)
    shutil.rmtree(home, ignore_errors=True)  # its record, lock and all: it is in main now
    return True


def fold_finished_nodes(out_dir: Path, main: StateStore) -> int:
    """Fold the record of every node that is no longer running (its lock is free)."""
    folded = 0
    root = Path(out_dir) / NODES
    for home in sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else []:
        if not _has_run(home / "state.sqlite"):
            continue  # nothing stored yet; do not take the lock of a node about to start
        try:
            fd = lock_output(home)
        except OutputLocked:
            continue  # still running
        try:
            if fold_node(out_dir, home, main):
                folded += 1
        finally:
            os.close(fd)
    if folded:
        logger.info("folded the records of %d finished nodes into %s", folded, main.path)
    return folded


def _has_run(db: Path) -> bool:
    """Whether a node's record has a run in it, read without taking any lock."""
    if not db.exists():
        return False
    try:
        con = sqlite3.connect(db, timeout=5)  # a plain open takes no lock
        try:
            return con.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return False
