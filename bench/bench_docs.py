"""Per-document throughput on one core: bare extraction vs our whole per-document path.

    .venv/bin/python bench/bench_docs.py [--rounds 3] [--profile FILE]

Both run over the same real pages (OPP-115 originals + real policies), side by side page by
page: each page is extracted alone, then taken through the whole path, then the next page
(the order flips every round). Each page counts its best time of the rounds on each side, so
a burst of load on a shared machine, which can slow a whole round by half, costs one page
one round instead of one side the whole run. Prints one JSON object:
``extract_only_docs_per_s``, ``pipeline_docs_per_s`` and a per-stage breakdown.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: pin BLAS before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import contextmanager, suppress  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import as_policy_page, load_pages  # noqa: E402
from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.items import PolicyPage  # noqa: E402
from pipelines.process import NotAPolicy, process_page  # noqa: E402
from pipelines.storage.parquet import DatasetWriter  # noqa: E402
from pipelines.text.extract import ExtractionError, extract  # noqa: E402

logger = logging.getLogger(__name__)


def pipeline(pages: Sequence[PolicyPage], out: Path) -> int:
    """process_page + the Parquet rows ParquetPipeline writes (policy, clauses, fetch)."""
    writer = DatasetWriter(out, f"bench{time.monotonic_ns()}")
    ok = sum(_pipeline_one(p, writer) for p in pages)
    writer.close()
    return ok


def _pipeline_one(p: PolicyPage, writer: DatasetWriter) -> int:
    try:
        done = process_page(p)
    except NotAPolicy as exc:
        writer.add("fetches", p.snapshot, _fetch(p, exc.reason))
        return 0
    for row in done.clauses:
        writer.add("clauses", p.snapshot, row)
    writer.add("policies", p.snapshot, done.policy, key=done.policy["policy_id"])
    writer.add("fetches", p.snapshot, _fetch(p, "ok"))
    return 1


def side_by_side(pages: Sequence[PolicyPage], out: Path, rounds: int) -> tuple[float, float, int]:
    """(extract-only seconds, pipeline seconds, documents stored): per page, the best of the
    rounds on each side; the pipeline's side includes closing its Parquet writer."""
    n = len(pages)
    best_e = [float("inf")] * n
    best_p = [float("inf")] * n
    best_close = float("inf")
    stored = 0
    clock = time.perf_counter
    for r in range(max(rounds, 1)):
        writer = DatasetWriter(out / f"r{r}", f"bench{r}")
        stored = 0
        for i, p in enumerate(pages):
            for side in "ep" if r % 2 == 0 else "pe":
                t = clock()
                if side == "e":
                    with suppress(ExtractionError):
                        extract(p.body, url=p.policy_url, content_type=p.content_type)
                    best_e[i] = min(best_e[i], clock() - t)
                else:
                    stored += _pipeline_one(p, writer)
                    best_p[i] = min(best_p[i], clock() - t)
        t = clock()
        writer.close()
        best_close = min(best_close, clock() - t)
    return sum(best_e), sum(best_p) + best_close, stored


def stage_seconds(pages: Sequence[PolicyPage], out: Path) -> dict[str, float]:
    """Where the pipeline's time goes: each stage over every page, timed on its own."""
    from pipelines.process import _classifier
    from pipelines.text.attributes import extract_attributes
    from pipelines.text.classify import clause_inputs_from_document
    from pipelines.text.detect import detect_policy
    from pipelines.text.segment import segment_markdown

    spent: dict[str, float] = {}

    @contextmanager
    def clock(name: str) -> Iterator[None]:
        t = time.perf_counter()
        yield
        spent[name] = round(spent.get(name, 0.0) + time.perf_counter() - t, 3)

    clf = _classifier()
    with clock("extract"):
        done = []
        for p in pages:
            with suppress(ExtractionError):
                done.append((p, extract(p.body, url=p.policy_url)))
    with clock("detect"):
        for p, e in done:
            detect_policy(e.text, title=e.title, url=p.policy_url)
    with clock("segment"):
        docs = [segment_markdown(e.text) for _, e in done]
    with clock("classify"):
        for clauses in docs:
            texts = [c.text for c in clauses]
            clf.predict_proba(clause_inputs_from_document(texts, [c.heading_path for c in clauses]))
    with clock("attributes"):
        for clauses in docs:
            for c in clauses:
                extract_attributes(c.text)
    with clock("whole_pipeline"):  # all of the above + Parquet rows
        pipeline(pages, out)
    return spent


def _fetch(p: PolicyPage, outcome: str) -> dict[str, object]:
    return {
        "site": p.site,
        "url": p.policy_url,
        "kind": "policy",
        "source": p.source,
        "outcome": outcome,
        "http_status": p.http_status,
        "detail": "",
        "archive_url": p.archive_url,
        "captured_at": p.captured_at,
        "fetched_at": datetime.now(UTC),
        "run_id": p.run_id,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N pages")
    ap.add_argument("--profile", type=Path, help="write a pyinstrument profile of the pipeline")
    args = ap.parse_args(argv)
    data = shared_data_dir()
    if data is None:
        print(json.dumps({"skipped": "real-world corpora not found"}))
        return 0
    pages = [as_policy_page(p, i) for i, p in enumerate(load_pages(data))]
    if args.limit:
        pages = pages[: args.limit]
    with tempfile.TemporaryDirectory(prefix="pa-bench-") as tmp:
        pipeline(pages[:3], Path(tmp) / "warm")  # imports, model load, caches
        best_e, best_p, stored = side_by_side(pages, Path(tmp) / "side", args.rounds)
        stages = stage_seconds(pages, Path(tmp) / "stages")
        if args.profile:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.001)
            with prof:
                pipeline(pages, Path(tmp) / "profile")
            args.profile.write_text(prof.output_text(unicode=False, color=False))
    n = len(pages)
    print(
        json.dumps(
            {
                "pages": n,
                "documents": stored,
                "extract_only_docs_per_s": round(n / best_e, 2),
                "pipeline_docs_per_s": round(n / best_p, 2),
                "ratio_pipeline_vs_extract": round(best_e / best_p, 3),
                "stage_seconds": stages,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
