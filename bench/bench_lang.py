"""The per-document path of two checkouts side by side, on the same HTML pages.

    .venv/bin/python bench/bench_lang.py --base /path/to/main --rounds 3 [--limit 94]

``--limit 94`` keeps OPP-115's 94 HTML pages, all English: the real policies after them
include 21 French and German pages, which now skip the English clause model and so make
this side look faster than it is for English pages.

Runs ``process_page`` over the real pages (OPP-115 originals + real policies) in one
subprocess per checkout, alternating base and this checkout each round, and keeps each
page's best time per side (a burst of load on a shared machine then costs one page one round,
not one side the whole run). Prints one JSON object: seconds per side and the change in %.
Written to check that language identification (and the PDF dispatch) costs HTML pages
less than ~3 %.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent.parent


def _worker(limit: int) -> None:
    """In a subprocess whose sys.path starts at the checkout: time each page once."""
    from bench.corpus import as_policy_page, load_pages
    from pipelines.datadir import shared_data_dir
    from pipelines.process import NotAPolicy, _classifier, process_page

    data = shared_data_dir()
    assert data is not None
    pages = [as_policy_page(p) for p in load_pages(data)][:limit]
    _classifier()
    process_page(pages[0])  # imports and model loads out of the timing
    times = []
    for page in pages:
        start = time.perf_counter()
        with contextlib.suppress(NotAPolicy):
            process_page(page)
        times.append(time.perf_counter() - start)
    print(json.dumps(times))


def _run(root: Path, limit: int) -> list[float]:
    # the worker function comes from this file; pipelines and bench.corpus from ``root``
    env = dict(os.environ, PYTHONPATH=str(root))
    code = (
        f"import sys, importlib.util; sys.path.insert(0, {str(root)!r}); "
        f"spec = importlib.util.spec_from_file_location('bench_lang', {__file__!r}); "
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        f"m._worker({limit})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare to")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    best: dict[str, list[float]] = {}
    for r in range(args.rounds):
        order = [("base", args.base), ("this", HERE)]
        for name, root in order if r % 2 == 0 else reversed(order):
            times = _run(root.resolve(), args.limit)
            old = best.get(name)
            best[name] = (
                times if old is None else [min(a, b) for a, b in zip(old, times, strict=True)]
            )
    base, this = sum(best["base"]), sum(best["this"])
    print(
        json.dumps(
            {
                "pages": len(best["base"]),
                "rounds": args.rounds,
                "base_seconds": round(base, 3),
                "this_seconds": round(this, 3),
                "change_percent": round(100 * (this - base) / base, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
