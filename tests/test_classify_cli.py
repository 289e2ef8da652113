"""`policyarchive classify CSV --text-column COL --out OUT`, end to end in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.classify_csv import probability_columns
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
