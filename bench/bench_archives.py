"""Archive requests per stored policy version, by source, on one small archive.

The fixture archive (tests/fixtures/archive/spec.json: 6 sites, 193 captures, 2005–2014)
is served three ways: by pywb (Internet Archive shapes), by a Common Crawl–shaped index +
range data server (one crawl per half-year), and by a Memento TimeMap server (paged, three
mementos a page) — tests/archive_servers.py. The same ``wayback`` crawl (half-years) runs
against each, and against two archives at once; we count the requests each source got
(the politeness middleware's per-endpoint counters in Scrapy's stats) per document stored.

    .venv/bin/python -m bench.bench_archives
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

from crawler.pywb_server import PywbServer
from pipelines.storage.warcbuild import build_warc, load_spec
from tests.archive_servers import CcIndexServer, RangeDataServer, TimeMapServer, build_cc_collection
from tests.crawl import run_cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
_STAT = re.compile(r"'policyarchive/politeness/requests/(\w+)': (\d+)")


def crawl(out: Path, *archive_args: str) -> tuple[dict[str, int], pd.DataFrame]:
    proc = run_cli(
        "wayback",
        "--sites",
        str(FIXTURES / "sites.txt"),
        "--from",
        "2005",
        "--to",
        "2014",
        "--out",
        str(out),
        "--workers",
        "0",
        *archive_args,
    )
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    requests = {k: int(v) for k, v in _STAT.findall(proc.stderr)}
    policies = pd.read_parquet(out / "policies")
    return requests, policies


def main() -> None:
    caps = load_spec(FIXTURES / "archive" / "spec.json")
    with tempfile.TemporaryDirectory(prefix="bench-archives-") as tmp:
        work = Path(tmp)
        warc = work / "fixture.warc.gz"
        build_warc(caps, warc)
        index = build_cc_collection(caps, work / "cc")
        with (
            PywbServer([warc], work / "pywb") as pywb,
            CcIndexServer(index) as idx,
            RangeDataServer(work / "cc") as data,
            TimeMapServer(caps) as tm,
        ):
            ia = pywb.start()
            memento = f"memento:{tm.base}/timemap/link/"
            cc = ["--archive", "commoncrawl", "--cc-index", idx.base, "--cc-data", data.base]
            runs = {
                "ia (pywb)": ["--archive", ia],
                "commoncrawl": cc,
                "memento": ["--archive", memento],
                "ia + memento": ["--archive", ia, "--archive", memento],
            }
            print(
                "| source | index requests | capture requests | documents | distinct "
                "versions | requests / document | requests / distinct version |"
            )
            print("|---|---|---|---|---|---|---|")
            for name, args in runs.items():
                requests, policies = crawl(work / name.replace(" ", "_"), *args)
                index_n = sum(requests.get(k, 0) for k in ("cdx", "cc_index", "timemap"))
                fetch_n = sum(requests.get(k, 0) for k in ("replay", "cc_data", "memento"))
                docs = len(policies)
                versions = policies.content_digest.nunique()
                total = index_n + fetch_n
                print(
                    f"| {name} | {index_n} | {fetch_n} | {docs} | {versions} | "
                    f"{total / docs:.2f} | {total / versions:.2f} |"
                )


if __name__ == "__main__":
    main()
