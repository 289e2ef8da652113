from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.storage.export import render_document, seed_url
from pipelines.storage.parquet import DatasetWriter, verify_manifest_files
from pipelines.storage.schemas import FETCHES


def fetch(i: int, outcome: str = "ok") -> dict:
    return {
        "site": f"s{i}.example",
        "url": f"http://s{i}.example/",
        "kind": "policy",
        "source": "wayback",
        "outcome": outcome,
        "http_status": 200,
        "detail": "",
        "archive_url": None,
        "captured_at": datetime(2009, 1, 1, tzinfo=UTC),
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
        "run_id": "r1",
    }


def test_rows_land_in_hive_partitions_and_read_back_with_snapshot(tmp_path: Path) -> None:
    w = DatasetWriter(tmp_path, "r1", row_group_rows=3)
    for i in range(7):
        w.add("fetches", "2009H1" if i < 4 else "2009H2", fetch(i))
    files = w.close()
    df = pd.read_parquet(tmp_path / "fetches")
    assert len(df) == 7
    assert sorted(df["snapshot"].astype(str).unique()) == ["2009H1", "2009H2"]
    assert {str(f.path).split("/")[1] for f in files} == {"snapshot=2009H1", "snapshot=2009H2"}
    assert sum(f.rows for f in files) == 7
    # several row groups in one file: streamed, not one big table at the end
    h1 = next(f for f in files if f.snapshot == "2009H1")
    assert pq.ParquetFile(tmp_path / h1.path).num_row_groups == 2
    assert pq.read_schema(tmp_path / h1.path).equals(FETCHES)
    manifest_files = [{"path": str(f.path), "sha256": f.sha256} for f in files]
    assert verify_manifest_files(tmp_path, manifest_files) == []
    (tmp_path / h1.path).write_bytes(b"corrupt")
    assert verify_manifest_files(tmp_path, manifest_files) == [f"sha256 mismatch {h1.path}"]


def test_unfinished_part_is_invisible_and_cleaned(tmp_path: Path) -> None:
    done = DatasetWriter(tmp_path, "r1")
    done.add("fetches", "2009H1", fetch(1))
    done.close()
    crashed = DatasetWriter(tmp_path, "r2", row_group_rows=1)
    crashed.add("fetches", "2009H1", fetch(2))  # flushed into a temp part, never committed
    tmp_parts = list((tmp_path / "fetches").glob("*/.tmp-*"))
    assert len(tmp_parts) == 1
    assert len(pd.read_parquet(tmp_path / "fetches")) == 1  # readers ignore the temporary
    assert DatasetWriter.clean_temporaries(tmp_path) == 1
    assert not list((tmp_path / "fetches").glob("*/.tmp-*"))


def test_wrong_types_fail_at_write_time(tmp_path: Path) -> None:
    w = DatasetWriter(tmp_path, "r1", row_group_rows=1)
    bad = fetch(1) | {"http_status": "two hundred"}
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        w.add("fetches", "2009H1", bad)


def test_rotation_by_size(tmp_path: Path) -> None:
    w = DatasetWriter(tmp_path, "r1", row_group_rows=10, max_file_bytes=1)
    for i in range(30):
        w.add("fetches", "2009H1", fetch(i))
    files = w.close()
    assert len(files) == 3 and len(pd.read_parquet(tmp_path / "fetches")) == 30


def test_seed_header_matches_the_seed_examples() -> None:
    row = {
        "site": "interactmedia.com.au",
        "captured_at": datetime(2009, 12, 18, 2, 45, 8, tzinfo=UTC),
        "archive_url": "https://web.archive.org/web/20091218024508id_/http://www.netregistry.com.au/customer-service/legals/privacy-policy.php",
        "title": "Legals || NetRegistry || Privacy Policy",
        "text": "Body text.",
    }
    out = render_document(row)
    assert out.startswith(
        "> *The following text is extracted and transformed from the interactmedia.com.au "
        "privacy policy that was archived on 2009-12-18. Please check the [original snapshot on "
        "the Wayback Machine](https://web.archive.org/web/20091218024508id_/http%3A//www."
        "netregistry.com.au/customer-service/legals/privacy-policy.php) for the most accurate "
        "reproduction.*\n\n# Legals || NetRegistry || Privacy Policy\n\nBody text.\n"
    )
    assert seed_url("http://127.0.0.1:8080/web/2009id_/http://a.b:81/x") == (
        "http://127.0.0.1:8080/web/2009id_/http%3A//a.b%3A81/x"
    )


@pytest.mark.corpus
def test_seed_examples_header_shape(shared_data: Path) -> None:
    for f in sorted((shared_data / "seed_examples").glob("*.txt")):
        first, blank, title = f.read_text(encoding="utf-8").split("\n")[:3]
        row = {
            "site": first.split("from the ")[1].split(" privacy policy")[0],
            "captured_at": datetime.strptime(first.split("archived on ")[1][:10], "%Y-%m-%d"),
            "archive_url": first.split("](")[1].split(")")[0].replace("%3A", ":"),
            "title": title.removeprefix("# "),
            "text": "x",
        }
        assert render_document(row).split("\n")[:3] == [first, blank, title]


def test_writing_does_not_load_pandas_and_reading_still_can(tmp_path: Path) -> None:
    """pyarrow would import pandas (42 MB resident) on its first list conversion; the crawl
    never needs it, and a reader in the same process still gets its DataFrame."""
    rows = [fetch(i) for i in range(5)]
    script = f"""
import datetime
import sys
from pipelines.storage.parquet import DatasetWriter
w = DatasetWriter({str(tmp_path)!r}, "r1", row_group_rows=2)
for i in range(5):
    w.add("fetches", "2020", {rows!r}[i])
w.close()
assert "pandas" not in sys.modules, "writing imported pandas"
import pyarrow.dataset as ds
df = ds.dataset({str(tmp_path / "fetches")!r}, partitioning="hive").to_table().to_pandas()
print(type(df).__module__.split(".")[0], len(df))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["pandas", "5"]
