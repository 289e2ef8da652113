"""Changes throughput: rebuild the changes datasets of a synthetic history, one core.

    .venv/bin/python bench/bench_changes.py [--sites 1000] [--versions 10] [--results PATH]

Generates ``sites x versions`` policy versions (real-looking paragraphs, edited from one
half-year to the next the way policies are: mostly unchanged, some date-only edits,
inserted, reworded, removed and reordered paragraphs), writes them as the ``policies`` and
``clauses`` datasets, then times :func:`pipelines.history.maintain.rebuild_changes` over them.
Prints ``changes_versions_per_s`` (versions / CPU seconds of the rebuild, one core), the
peak resident memory of the rebuild, and ``simhash_docs_per_s``; merges
``changes_versions_per_s`` into bench/results.json. Goal: 10,000 versions of 1,000 sites
in under a minute.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.history.maintain import rebuild_changes  # noqa: E402
from pipelines.history.simhash import simhash  # noqa: E402
from pipelines.storage.parquet import DatasetWriter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

SENTENCES = [
    "We collect the {data} you provide when you create an account or contact {name}.",
    "We use {data} to operate, maintain and improve our services and to personalise content.",
    "{name} may share {data} with service providers that process it on our behalf.",
    "We do not sell {data} to third parties for their own marketing purposes.",
    "You can access, correct or delete your {data} at any time from your account settings.",
    "We retain {data} for as long as necessary to provide the services you requested.",
    "Our partners use cookies and similar technologies to measure the use of {name}.",
    "You may opt out of interest-based advertising by visiting the settings page.",
    "We protect {data} with administrative, technical and physical safeguards.",
    "Children under the age of thirteen may not use {name} and we do not knowingly collect it.",
    "If you are a resident of the European Economic Area you have rights under the GDPR.",
    "California residents may request the categories of {data} we have disclosed.",
    "We may transfer {data} to countries other than the one in which you live.",
    "Please contact our privacy office with any question about this policy or {name}.",
    "We will notify you by e-mail before a material change to this policy takes effect.",
    "Analytics providers such as Google Analytics help us understand how {name} is used.",
    "Log files record your IP address, browser type and the pages you visited.",
    "We keep backups of {data} for thirty days after you close your account.",
]
DATA = ["personal information", "your e-mail address", "usage data", "location data", "contacts"]
MONTHS = ["January", "March", "May", "June", "September", "November"]


def paragraph(rng: random.Random, name: str) -> str:
    return " ".join(
        rng.choice(SENTENCES).format(data=rng.choice(DATA), name=name)
        for _ in range(rng.randint(2, 5))
    )


def history(rng: random.Random, site: str, versions: int) -> list[tuple[str, list[str]]]:
    """(header, paragraphs) of each version: edited one half-year at a time."""
    name = site.split(".")[0].title()
    paras = [paragraph(rng, name) for _ in range(rng.randint(15, 35))]
    header = f"Last updated: {rng.choice(MONTHS)} {rng.randint(1, 28)}, 2005"
    out = [(header, list(paras))]
    for v in range(1, versions):
        roll = rng.random()
        year = 2005 + v // 2
        if roll < 0.45:
            pass  # unchanged: the half-year still gets its row
        elif roll < 0.6:
            header = f"Last updated: {rng.choice(MONTHS)} {rng.randint(1, 28)}, {year}"
        elif roll < 0.75:
            paras.insert(rng.randrange(len(paras) + 1), paragraph(rng, name))
            header = f"Last updated: {rng.choice(MONTHS)} {rng.randint(1, 28)}, {year}"
        elif roll < 0.87:
            i = rng.randrange(len(paras))
            paras[i] = (
                paras[i].replace("We ", "We and our affiliates ", 1)
                + " "
                + (rng.choice(SENTENCES).format(data=rng.choice(DATA), name=name))
            )
        elif roll < 0.95 and len(paras) > 5:
            del paras[rng.randrange(len(paras))]
        else:
            i, j = rng.randrange(len(paras)), rng.randrange(len(paras))
            paras[i], paras[j] = paras[j], paras[i]
        out.append((header, list(paras)))
    return out


def generate(out: Path, sites: int, versions: int, seed: int = 7) -> tuple[int, float]:
    """Write the datasets; (versions written, seconds spent in simhash)."""
    rng = random.Random(seed)
    writer = DatasetWriter(out, "bench")
    n, simhash_s = 0, 0.0
    for s in range(sites):
        site = f"site{s:05d}.example"
        for v, (header, paras) in enumerate(history(rng, site, versions)):
            year, half = 2005 + v // 2, v % 2 + 1
            snapshot = f"{year}H{half}"
            pid = f"{site}-{v:03d}"
            parts = [header, *paras]
            text = "\n\n".join(parts)
            t = time.perf_counter()
            sh = simhash(text)
            simhash_s += time.perf_counter() - t
            writer.add(
                "policies",
                snapshot,
                {
                    "policy_id": pid,
                    "site": site,
                    "policy_url": f"https://{site}/privacy",
                    "source": "wayback",
                    "captured_at": datetime(year, 1 if half == 1 else 7, 15, tzinfo=UTC),
                    "content_digest": f"sha1:{pid}",
                    "text_digest": pid,
                    "text": text,
                    "word_count": len(text.split()),
                    "policy_score": 1.0,
                    "clause_count": len(parts),
                    "categories": ["Other"],
                    "laws": ["GDPR"] if "GDPR" in text else [],
                    "simhash": sh,
                    "run_id": "bench",
                },
            )
            for i, p in enumerate(parts):
                writer.add(
                    "clauses",
                    snapshot,
                    {
                        "policy_id": pid,
                        "clause_id": f"{pid}-{i:04d}",
                        "site": site,
                        "position": i,
                        "text": p,
                        "categories": ["Other"],
                        "run_id": "bench",
                    },
                )
            n += 1
    writer.close()
    return n, simhash_s


def merge_results(path: Path, values: dict[str, object]) -> None:
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(values)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--versions", type=int, default=10, help="versions per site")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--no-merge", action="store_true", help="print only")
    ap.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate_only:
        n, simhash_s = generate(args.generate_only, args.sites, args.versions)
        print(json.dumps([n, simhash_s]))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-changes-") as tmp:
        out = Path(tmp)
        # generated in a child process: the peak memory measured below is the rebuild's own
        gen = [sys.executable, __file__, "--sites", str(args.sites), "--versions"]
        done = subprocess.run(
            [*gen, str(args.versions), "--generate-only", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        n, simhash_s = json.loads(done.stdout.strip().splitlines()[-1])
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began, began_cpu = time.perf_counter(), time.process_time()
        result = rebuild_changes(out, run_id="bench-changes")
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - began_cpu
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    values = {
        # CPU seconds of the one process: the number does not depend on what else the
        # machine runs (wall time is printed beside it)
        "changes_versions_per_s": round(n / cpu_seconds, 1),
        "changes_versions_per_wall_s": round(n / seconds, 1),
        "changes_seconds": round(seconds, 2),
        "changes_cpu_seconds": round(cpu_seconds, 2),
        "changes_versions": n,
        "changes_sites": args.sites,
        "changes_rows": result.changes_added,
        "changes_kinds": dict(sorted(result.kinds.items())),
        "changes_peak_rss_mb": round(rss_peak, 1),
        "changes_rss_before_mb": round(rss_before, 1),
        "simhash_docs_per_s": round(n / simhash_s, 1),
    }
    print(json.dumps(values))
    if not args.no_merge:
        merge_results(args.results, {"changes_versions_per_s": values["changes_versions_per_s"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
