"""``candidates`` speed on a generated columnar index: rows scanned a second, peak memory.

ROWS captures over DOMAINS registered domains in one crawl partition (8 Parquet files, like
Common Crawl's, with its column names); one row in 50 has a privacy word in its path.

    .venv/bin/python -m bench.bench_candidates [ROWS]
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.archive.ccindex import (
    COLUMNS,
    MIME_TYPES,
    SCAN_REGEX,
    best_per_domain,
    open_index,
    scan_rows,
)

CRAWL = "CC-MAIN-2019-22"
WORDS = ["about", "products", "blog/2019/05/post", "contact", "shop/item", "news", "help"]
POLICY = ["privacy-policy", "datenschutz", "politique-de-confidentialite", "privacidad"]


def build(root: Path, rows: int, domains: int, files: int = 8) -> None:
    rnd = random.Random(7)
    part = root / f"crawl={CRAWL}" / "subset=warc"
    part.mkdir(parents=True)
    per = rows // files
    for f in range(files):
        doms = [f"site{rnd.randrange(domains)}.com" for _ in range(per)]
        paths = [
            "/" + (rnd.choice(POLICY) if rnd.random() < 0.02 else rnd.choice(WORDS))
            for _ in range(per)
        ]
        table = pa.table(
            {
                "url": [f"https://www.{d}{p}" for d, p in zip(doms, paths, strict=True)],
                "url_host_registered_domain": doms,
                "url_path": paths,
                "fetch_status": pa.array(
                    [200 if rnd.random() < 0.9 else 404 for _ in range(per)], pa.int16()
                ),
                "content_mime_detected": ["text/html"] * per,
                "content_languages": ["eng"] * per,
                "warc_filename": ["crawl-data/x.warc.gz"] * per,
                "warc_record_offset": pa.array(range(per), pa.int64()),
                "warc_record_length": pa.array([1000] * per, pa.int32()),
            }
        )
        pq.write_table(table, part / f"part-{f:05d}.parquet")


def duckdb_seconds(root: Path) -> tuple[float, int] | None:
    """The same scan through DuckDB, when it is installed (it is not a dependency)."""
    try:
        import duckdb
    except ImportError:
        return None
    started = time.perf_counter()
    con = duckdb.connect()
    cur = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?, hive_partitioning = true) "
        "WHERE crawl = ? AND subset = 'warc' AND fetch_status = 200 "
        "AND content_mime_detected IN (SELECT unnest(?)) AND regexp_matches(url_path, ?, 'i')",
        [
            str(root / "crawl=*" / "subset=*" / "*.parquet"),
            CRAWL,
            MIME_TYPES,
            SCAN_REGEX.removeprefix("(?i)"),
        ],
    )
    names = [d[0] for d in cur.description]
    best = best_per_domain(dict(zip(names, row, strict=True)) for row in cur.fetchall())
    return time.perf_counter() - started, len(best)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    with tempfile.TemporaryDirectory(prefix="bench-candidates-") as tmp:
        build(Path(tmp), rows, domains=rows // 40)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        dataset, partitioned = open_index(tmp, CRAWL)
        best = best_per_domain(scan_rows(dataset, CRAWL if partitioned else None, None))
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        duck = duckdb_seconds(Path(tmp))
    if duck is not None:
        print(f"DuckDB, the same filter and choice: {duck[0]:.2f} s, {duck[1]} domains")
    print(
        f"{rows} rows scanned in {took:.2f} s ({rows / took:,.0f} rows/s); "
        f"{len(best)} domains with a candidate; peak RSS {peak:.0f} MB "
        f"({before:.0f} MB after building the index)"
    )


if __name__ == "__main__":
    main()
