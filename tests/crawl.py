"""Run the console script in a subprocess (a Twisted reactor cannot restart in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


CRAWLS = ("wayback", "live", "demo")


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The CLI in a pipe. Crawls get ``-v`` (the full log on stderr, as before the console
    quieted the terminal) because many tests read log lines and the stats dump there;
    tests/test_console.py checks the quiet default."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if args and args[0] in CRAWLS and not {"-q", "--quiet", "-v", "--verbose"} & set(args):
        args = (args[0], "-v", *args[1:])
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_wayback(
    sites: Path, archive: str, out: Path, start: str, end: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``policyarchive wayback`` over ``archive`` for [start, end], one worker."""
    return run_cli(
        "wayback",
        "--sites",
        str(sites),
        "--from",
        start,
        "--to",
        end,
        "--archive",
        archive,
        "--out",
        str(out),
        "--workers",
        "1",
        *extra,
    )


def run_live(sites: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``policyarchive live`` inline (no worker pool), every ``*.example`` host on 127.0.0.1."""
    return run_cli(
        "live",
        "--sites",
        str(sites),
        "--out",
        str(out),
        "--workers",
        "0",
        "-s",
        "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"}),
        *extra,
    )


def run_scrapy(
    *args: str, cwd: Path = ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    scrapy = Path(sys.executable).parent / "scrapy"
    return subprocess.run(
        [str(scrapy), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read(out: Path, dataset: str) -> pd.DataFrame:
    df = pd.read_parquet(out / dataset)
    df["snapshot"] = df["snapshot"].astype(str)
    return df
