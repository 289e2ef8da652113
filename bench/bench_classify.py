"""Clause classification throughput on one core, over the OPP-115 segments.

    .venv/bin/python bench/bench_classify.py [--data DIR] [--repeat 5]

Prints clauses/second (best of the repeats, each classifying every segment as one batch per
policy, with neighbours and position as the pipeline passes them) and merges
``classify_clauses_per_s`` and ``classify_model_load_s`` into bench/results.json.
"""

from __future__ import annotations

import os

# One core: BLAS threads must be pinned before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from pipelines.text.classify import ClauseClassifier, ClauseInput, clause_inputs_from_document  # noqa: E402

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def documents(data_dir: Path) -> list[list[ClauseInput]]:
    """One list of ClauseInputs per OPP-115 policy, in segment order."""
    df = pd.read_csv(data_dir / "opp115" / "segments.csv")
    df = df.sort_values(["policy_id", "segment_id"])
    return [
        clause_inputs_from_document(g["segment_text"].fillna("").tolist())
        for _, g in df.groupby("policy_id", sort=True)
    ]


def merge_results(path: Path, values: dict[str, float]) -> None:
    """Read-modify-write: other benchmarks keep their keys."""
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(values)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    model = ClauseClassifier.load()
    load_s = time.perf_counter() - t0
    docs = documents(args.data)
    n = sum(len(d) for d in docs)
    model.predict_proba(docs[0])  # warm-up
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        for doc in docs:
            model.predict_proba(doc)
        best = min(best, time.perf_counter() - t)
    rate = n / best
    print(f"model load: {load_s:.3f} s (after imports)")
    print(f"classified {n} clauses in {best:.3f} s: {rate:,.0f} clauses/s on one core")
    merge_results(
        args.results,
        {"classify_clauses_per_s": round(rate, 1), "classify_model_load_s": round(load_s, 4)},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
