"""What the fault tests observed, and the one summary line printed at the end of the run.

Fault tests call :func:`observe` once per fault they injected (with whether the crawl
survived it: the run finished with the right exit status and recorded the expected
outcome) and :func:`rows` once per crawl (rows missing from, or repeated in, its
datasets compared with what the test expected). ``tests/conftest.py`` imports
:func:`pytest_terminal_summary`, which prints

    faults injected N, survived N, bad inputs tried N, rows lost 0, duplicate rows 0

when any fault test ran. Nothing here is a constant: every number comes from a test.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Registry:
    faults: dict[str, bool] = field(default_factory=dict)  # fault → survived
    bad_inputs: int = 0  # requests answered with a fault, as counted by the servers
    lost: int = 0
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self) -> str:
        survived = sum(self.faults.values())
        return (
            f"faults injected {len(self.faults)}, survived {survived}, "
            f"bad inputs tried {self.bad_inputs}, rows lost {self.lost}, "
            f"duplicate rows {self.duplicates}"
        )


REGISTRY = Registry()


def observe(fault: str, *, survived: bool, tries: int = 0) -> None:
    """Record one injected fault; ``tries`` is how many bad answers the server gave."""
    with REGISTRY.lock:
        REGISTRY.faults[fault] = REGISTRY.faults.get(fault, True) and survived
        REGISTRY.bad_inputs += tries


def rows(lost: int, duplicates: int) -> None:
    with REGISTRY.lock:
        REGISTRY.lost += lost
        REGISTRY.duplicates += duplicates


def lost_and_duplicates(
    policies: pd.DataFrame, clauses: pd.DataFrame, expected: dict[str, str]
) -> tuple[int, int]:
    """Compare a crawl's datasets with the documents it should hold.

    ``expected``: site → snapshot of each document the crawl must have written. Lost:
    expected (site, snapshot) pairs without a policies row, plus policies whose clauses
    are missing. Duplicates: repeated policy ids, repeated (site, snapshot) documents
    and repeated clause ids.
    """
    have = set(zip(policies.site, policies.snapshot.astype(str), strict=True))
    lost = sum(1 for site, snap in expected.items() if (site, snap) not in have)
    with_clauses = set(clauses.policy_id) if len(clauses) else set()
    lost += int((policies.clause_count > 0).mul(~policies.policy_id.isin(with_clauses)).sum())
    dups = int(policies.policy_id.duplicated().sum())
    dups += int(policies[["site", "snapshot"]].astype(str).duplicated().sum())
    dups += int(clauses.clause_id.duplicated().sum()) if len(clauses) else 0
    return lost, dups


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not REGISTRY.faults:
        return
    terminalreporter.write_sep("-", "fault injection")
    terminalreporter.write_line(REGISTRY.line())
