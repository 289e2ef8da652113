"""Time `policyarchive report` over a synthetic output of many sites and snapshots.

    .venv/bin/python bench/bench_report.py [--sites 10000] [--snapshots 20] [--keep DIR]

Writes policies (short texts, laws and categories drawn at random, readability present) and
a `changes` dataset for every consecutive pair, then builds the report and prints the
seconds and the peak resident memory. Synthetic: it measures the report, not a crawl.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pipelines.categories import CATEGORIES  # noqa: E402
from pipelines.history.periods import period_of_label  # noqa: E402
from pipelines.history.report import build_report  # noqa: E402
from pipelines.storage.schemas import POLICIES, TS  # noqa: E402

LAWS = ["GDPR", "CCPA", "COPPA", "Safe Harbor", "Privacy Shield", "CalOPPA", "PIPEDA", "TRUSTe"]
KINDS = ["identical"] * 6 + ["cosmetic", "date_only", "near_duplicate", "substantive", "revert"]


def labels(n: int, first_year: int = 2010) -> list[str]:
    return [f"{first_year + i // 2}H{i % 2 + 1}" for i in range(n)]


def build(out: Path, sites: int, snapshots: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    schema = POLICIES
    for name, t in (("flesch_kincaid_grade", pa.float32()),):
        if name not in schema.names:
            schema = schema.append(pa.field(name, t))
    changes_schema = pa.schema(
        [("site", pa.string()), ("source", pa.string()), ("to_policy_id", pa.string()),
         ("to_snapshot", pa.string()), ("to_captured_at", TS), ("kind", pa.string()),
         ("words_added", pa.int32()), ("words_removed", pa.int32())]
    )  # fmt: skip
    rows_total = 0
    for i, label in enumerate(labels(snapshots)):
        period = period_of_label(label)
        assert period is not None
        pol, ch = [], []
        for s in range(sites):
            if rnd.random() < 0.1:  # a site without a capture this period
                continue
            pid = f"{s:05d}-{label}"
            words = 800 + 20 * i + rnd.randint(-300, 300)
            pol.append(
                {name: None for name in schema.names}
                | {
                    "policy_id": pid,
                    "site": f"site{s:05d}.example",
                    "policy_url": "http://x/privacy",
                    "source": "wayback",
                    "captured_at": period.start + timedelta(days=rnd.randint(0, 170)),
                    "content_digest": pid,
                    "text_digest": pid,
                    "text": "",
                    "word_count": words,
                    "policy_score": 0.9,
                    "clause_count": 20,
                    "categories": rnd.sample(CATEGORIES, rnd.randint(3, 10)),
                    "laws": rnd.sample(LAWS, rnd.randint(0, 3)),
                    "flesch_kincaid_grade": rnd.gauss(13, 2),
                    "run_id": "bench",
                }  # fmt: skip
            )
            if i:
                kind = rnd.choice(KINDS)
                ch.append(
                    {
                        "site": f"site{s:05d}.example",
                        "source": "wayback",
                        "to_policy_id": pid,
                        "to_snapshot": label,
                        "to_captured_at": pol[-1]["captured_at"],
                        "kind": kind,
                        "words_added": 0 if kind == "identical" else 40,
                        "words_removed": 0 if kind == "identical" else 10,
                    }  # fmt: skip
                )
        for dataset, rows, sch in (("policies", pol, schema), ("changes", ch, changes_schema)):
            if rows:
                part = out / dataset / f"snapshot={label}" / "part-bench-00000.parquet"
                part.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pylist(rows, schema=sch), part)
        rows_total += len(pol)
    return rows_total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--snapshots", type=int, default=20)
    ap.add_argument("--keep", type=Path, help="write the output here and keep it")
    args = ap.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        t0 = time.perf_counter()
        n = build(out, args.sites, args.snapshots)
        t1 = time.perf_counter()
        report = build_report(out)
        t2 = time.perf_counter()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = report.index.stat().st_size / 1024
        print(
            f"{n:,} policy rows ({args.sites:,} sites x {args.snapshots} snapshots) written in "
            f"{t1 - t0:.1f} s; report in {t2 - t1:.1f} s, {len(report.figures)} figures, "
            f"index.html {size:.0f} KiB, peak RSS {peak_mb:.0f} MB"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
