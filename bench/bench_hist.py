"""What readability and the stated date add to ``process_page``, side by side, page by page.

    .venv/bin/python bench/bench_hist.py [--rounds 3]

Every real page (OPP-115 originals + real policies) goes through ``process_page`` twice in
a row: once with the two new stages stubbed out (the path before them), once whole; the
order flips every round, and each page counts its best time of the rounds on each side
(a burst of load on a shared machine then costs one page one round, not one side the run).
Times are CPU seconds of the process (``time.process_time``).
The first round is also reported alone: it is the cold one, when syllable counts are not
yet memoised. Prints one JSON object.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: pin BLAS before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager, suppress  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pipelines.text.readability as readability_mod  # noqa: E402
import pipelines.text.stated_date as stated_mod  # noqa: E402
from bench.corpus import as_policy_page, load_pages  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.process import NotAPolicy, _classifier, process_page  # noqa: E402


@contextmanager
def without_new_stages() -> Iterator[None]:
    """process_page as it was before: both stages return nothing."""
    real_r, real_s = readability_mod.readability, stated_mod.find_stated_date
    readability_mod.readability = lambda *a, **k: readability_mod.Readability(None, None, None, 0)
    stated_mod.find_stated_date = lambda *a, **k: None
    try:
        yield
    finally:
        readability_mod.readability, stated_mod.find_stated_date = real_r, real_s


def timed(page: Any) -> float:
    # CPU time of this process: on a shared machine other processes' load moves wall-clock
    # time far more than it moves this (process_page is single-threaded, BLAS pinned to 1)
    start = time.process_time()
    with suppress(NotAPolicy):
        process_page(page)
    return time.process_time() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    data = shared_data_dir()
    if data is None:
        print("real-world corpora not found: set POLICYARCHIVE_DATA", file=sys.stderr)
        return 2
    pages = [as_policy_page(p, i) for i, p in enumerate(load_pages(data))]
    _classifier()
    readability_mod.warm_up()
    before = [float("inf")] * len(pages)
    after = [float("inf")] * len(pages)
    first_before = first_after = 0.0
    for rnd in range(args.rounds):
        for i, page in enumerate(pages):
            order = ("before", "after") if (rnd + i) % 2 == 0 else ("after", "before")
            for side in order:
                if side == "before":
                    with without_new_stages():
                        t = timed(page)
                    before[i] = min(before[i], t)
                    first_before += t if rnd == 0 else 0.0
                else:
                    t = timed(page)
                    after[i] = min(after[i], t)
                    first_after += t if rnd == 0 else 0.0
    b, a = sum(before), sum(after)
    print(
        json.dumps(
            {
                "pages": len(pages),
                "rounds": args.rounds,
                "before_s": round(b, 3),
                "after_s": round(a, 3),
                "before_ms_per_doc": round(1000 * b / len(pages), 2),
                "after_ms_per_doc": round(1000 * a / len(pages), 2),
                "added_pct": round(100 * (a - b) / b, 2),
                "first_round_added_pct": round(
                    100 * (first_after - first_before) / first_before, 2
                ),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
