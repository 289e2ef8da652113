"""The output directory's lock (``<out>/.lock``): one writer at a time, or the nodes of one
distributed run together; held until the file descriptor closes, even on kill -9."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class OutputLocked(RuntimeError):
    """Another run holds ``<out>/.lock``."""


def lock_output(out_dir: Path, shared: bool = False) -> int:
    """Take the output directory's lock (held until the fd closes, even on kill -9).

    A single run holds it alone; the nodes of a distributed run share it (each one also
    holds its own node's lock), so nodes start together but never beside a single run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _lock_holder(fd)
        os.close(fd)
        raise OutputLocked(f"{holder} is writing to {out_dir}; not starting a second one") from None
    if not shared:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    return fd


def _lock_holder(fd: int) -> str:
    """Who holds a lock we could not take: a distributed run's nodes, or one run's pid."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.read(fd, 64).decode(errors="replace").strip() or "?"
        return f"another policyarchive run (pid {pid})"
    fcntl.flock(fd, fcntl.LOCK_UN)
    return "a distributed policyarchive run (--redis)"
