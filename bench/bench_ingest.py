"""Ingest speed and memory over a big local collection (issue 17: 200,000 records, flat).

    python bench/bench_ingest.py [--records 200000] [--sites 20] [--work DIR]

1. Writes a WARC of ``--records`` response records (gzip per record, like any crawler's):
   1,000 sites, each with homepage and privacy-policy captures over 2005–2014 and other
   pages, policy texts changing every few years.
2. Indexes it in this process (the first pass of ``policyarchive ingest``), printing the
   records/s and the resident memory at each quarter: flat means the index is on disk.
3. Runs ``policyarchive ingest`` on it for ``--sites`` sites (``--every year``) and prints
   its wall time and the peak RSS of the crawl process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.storage.warcindex import WarcIndex  # noqa: E402
from pipelines.storage.warcread import Broken, scan  # noqa: E402

SITES = 1000
POLICY = (
    "<html><head><title>Privacy Policy</title></head><body><h1>Privacy Policy</h1>"
    + "".join(
        f"<h2>Section {i}</h2><p>We collect your personal information such as your name, "
        f"email address and IP address when you use site {{site}}, version {{v}}. We use "
        f"cookies and share data with third parties for advertising. You may opt out and "
        f"request deletion of your data by contacting privacy@{{site}}. We retain data for "
        f"{i + 1} years.</p>"
        for i in range(12)
    )
    + "</body></html>"
)
HOME = (
    "<html><head><title>{site}</title></head><body><h1>Welcome to {site}</h1>"
    '<a href="/about">About</a> <a href="/privacy.html">Privacy Policy</a></body></html>'
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def generate(path: Path, records: int) -> None:
    start = datetime(2005, 1, 1, tzinfo=UTC)
    span = (datetime(2014, 12, 31, tzinfo=UTC) - start).total_seconds()
    per_site = max(3, records // SITES)
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        n = 0
        for s in range(SITES):
            site = f"site{s:04d}.example"
            for k in range(per_site):
                if n >= records:
                    return
                when = start + timedelta(seconds=span * (k + 0.5) / per_site + s)
                kind = k % 3
                if kind == 0:
                    url, body = f"http://www.{site}/", HOME.format(site=site)
                elif kind == 1:
                    v = 1 + (when.year - 2005) // 3
                    url, body = f"http://www.{site}/privacy.html", POLICY.format(site=site, v=v)
                else:
                    url, body = f"http://www.{site}/page{k}.html", f"<html>page {k}</html>"
                data = body.encode()
                head = StatusAndHeaders(
                    "200 OK",
                    [
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Length", str(len(data))),
                    ],
                    protocol="HTTP/1.1",
                )
                rec = w.create_warc_record(
                    url,
                    "response",
                    payload=BytesIO(data),
                    length=len(data),
                    http_headers=head,
                    warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                )
                w.write_record(rec)
                n += 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    warc = work / "big.warc.gz"
    if not warc.exists():
        t0 = time.monotonic()
        generate(warc, a.records)
        print(
            f"generated {a.records} records, {warc.stat().st_size / 1e6:.1f} MB, "
            f"in {time.monotonic() - t0:.0f}s"
        )
    # 1. the index pass, in this process: memory at each quarter
    print(f"rss before indexing: {rss_mb():.1f} MB")
    index = WarcIndex(work / "index.sqlite")
    t0 = time.monotonic()
    n = 0
    marks = {a.records * q // 4 for q in (1, 2, 3)}

    def counted():  # type: ignore[no-untyped-def]
        nonlocal n
        for item in scan(str(warc)):
            if not isinstance(item, Broken):
                n += 1
                if n in marks:
                    print(
                        f"  {n} records: rss {rss_mb():.1f} MB, {n / (time.monotonic() - t0):.0f}/s"
                    )
            yield item

    index._add_member(str(warc.resolve()), counted())
    index.db.executescript("CREATE INDEX IF NOT EXISTS captures_key ON captures (urlkey, ts);")
    index.db.commit()
    took = time.monotonic() - t0
    print(
        f"indexed {n} records in {took:.1f}s: {n / took:.0f} records/s; rss {rss_mb():.1f} MB; "
        f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB"
    )
    index.close()
    # 2. a whole ingest run over the collection, for a few sites
    sites = work / "sites.txt"
    sites.write_text("".join(f"site{s:04d}.example\n" for s in range(a.sites)))
    out = work / "out"
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "ingest",
            str(warc),
            "--sites",
            str(sites),
            "--every",
            "year",
            "--out",
            str(out),
            "--workers",
            "1",
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout.strip())
    if proc.returncode:
        print(proc.stderr[-2000:])
    print(
        f"ingest run: exit {proc.returncode}, {took:.0f}s wall, peak RSS of the largest "
        f"child process {peak:.0f} MB"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
