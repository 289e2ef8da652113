"""`policyarchive classify CSV --text-column COL --out OUT`, end to end in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.classify import ClauseClassifier
from pipelines.classify_csv import classify_csv, probability_columns
from tests.crawl import run_cli

ROWS = {
    "id": ["a1", "a2", "a3"],
    "body": [
        "We may share your personal information with third-party advertisers.",
        "Our site does not respond to Do Not Track signals sent by your browser.",
        "",
    ],
}


def test_classify_writes_input_rows_categories_and_probabilities(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame(ROWS).to_csv(src, index=False)
    done = run_cli("classify", str(src), "--text-column", "body", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "classified 3 rows" in done.stdout
    result = pd.read_csv(out, keep_default_na=False)
    assert list(result.columns) == ["id", "body", "categories", *probability_columns()]
    assert result["id"].tolist() == ROWS["id"]
    assert "Third Party Sharing/Collection" in result.loc[0, "categories"].split(";")
    assert result.loc[1, "categories"] == "Do Not Track"
    assert result.loc[2, "categories"] == ""
    for _, row in result.iterrows():
        assert all(0.0 <= float(row[c]) <= 1.0 for c in probability_columns())


def test_classify_missing_column_exits_2_naming_it(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame(ROWS).to_csv(src, index=False)
    done = run_cli("classify", str(src), "--text-column", "clause_text", "--out", str(out))
    assert done.returncode == 2
    assert "'clause_text'" in done.stderr
    assert "'id', 'body'" in done.stderr  # the columns that are there
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_large_inputs_are_read_in_chunks_with_the_same_result(tmp_path: Path, suffix: str) -> None:
    """Chunk by chunk (memory bounded by the chunk, not the file) gives the very rows one
    pass gives, even when a column is empty throughout some chunk."""
    texts = [ROWS["body"][i % 3] for i in range(23)]
    notes = ["" if i < 10 else f"note {i}" for i in range(23)]  # empty in the first chunks
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"{i:03d}" for i in range(23)], "body": texts, "note": notes}).to_csv(
        src, index=False
    )
    model = ClauseClassifier.load()
    whole, chunked = tmp_path / f"whole{suffix}", tmp_path / f"chunked{suffix}"
    assert classify_csv(src, "body", whole, model=model, chunk_rows=1000) == 23
    assert classify_csv(src, "body", chunked, model=model, chunk_rows=4) == 23
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    a, b = read(whole), read(chunked)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["id", "body", "note", "categories", *probability_columns()]
    assert len(a) == 23 and a["categories"].iloc[1] == "Do Not Track"


def test_header_only_input_gives_header_only_output(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    src.write_text("id,body\n")
    assert classify_csv(src, "body", out, chunk_rows=4) == 0
    assert list(pd.read_parquet(out).columns) == [
        "id",
        "body",
        "categories",
        *probability_columns(),
    ]
