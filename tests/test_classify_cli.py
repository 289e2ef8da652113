"""`policyarchive classify CSV --text-column COL --out OUT`, end to end in a subprocess."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.classify_csv import classify_csv, probability_columns
from pipelines.text.classify import (
    ClauseClassifier,
    ClauseInput,
    clause_inputs_from_document,
    infer_heading_paths,
)
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


# Two short policies, one clause a row, in order; the second repeats a clause of the first so
# the same text is labelled in two different contexts.
DOCS = {
    "doc": ["p1", "p1", "p1", "p2", "p2"],
    "body": [
        "Information we collect",
        "We collect your email address and IP address when you register.",
        "We may share your personal information with third-party advertisers.",
        "Children's privacy",
        "We may share your personal information with third-party advertisers.",
    ],
}


def _expected_with_context(model: ClauseClassifier) -> np.ndarray:
    """What the crawl's pipeline gives each clause of these documents."""
    out = []
    for doc in ("p1", "p2"):
        texts = [t for d, t in zip(DOCS["doc"], DOCS["body"], strict=True) if d == doc]
        out.append(
            model.predict_proba(clause_inputs_from_document(texts, infer_heading_paths(texts)))
        )
    return np.vstack(out)


def test_document_column_labels_each_row_with_its_documents_context(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame(DOCS).to_csv(src, index=False)
    args = ["classify", str(src), "--text-column", "body", "--out", str(out)]
    done = run_cli(*args, "--document-column", "doc")
    assert done.returncode == 0, done.stderr
    result = pd.read_csv(out, keep_default_na=False)
    assert result["doc"].tolist() == DOCS["doc"] and result["body"].tolist() == DOCS["body"]
    model = ClauseClassifier.load()
    probs = result[probability_columns()].to_numpy()
    np.testing.assert_allclose(probs, _expected_with_context(model), atol=1e-6)
    # the same clause under another heading, with other neighbours, scores differently; and
    # differently from the bare text, which is what the command gives without the option
    assert not np.allclose(probs[2], probs[4])
    bare = model.predict_proba([ClauseInput(text=DOCS["body"][2])])[0]
    assert not np.allclose(probs[2], bare)


def test_documents_split_by_chunk_boundaries_are_classified_whole(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame(DOCS).to_csv(src, index=False)
    model = ClauseClassifier.load()
    for chunk_rows in (1, 2, 4, 1000):
        out = tmp_path / f"out{chunk_rows}.parquet"
        n = classify_csv(
            src, "body", out, document_column="doc", model=model, chunk_rows=chunk_rows
        )
        assert n == 5
        result = pd.read_parquet(out)
        assert result["body"].tolist() == DOCS["body"]
        np.testing.assert_allclose(
            result[probability_columns()].to_numpy(), _expected_with_context(model), atol=1e-6
        )


def test_rows_without_a_document_are_labelled_alone(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = {"doc": ["", "p1", "p1"], "body": DOCS["body"][2:5]}
    pd.DataFrame(rows).to_csv(src, index=False)
    model = ClauseClassifier.load()
    classify_csv(src, "body", out, document_column="doc", model=model)
    probs = pd.read_csv(out)[probability_columns()].to_numpy()
    np.testing.assert_allclose(
        probs[0], model.predict_proba([ClauseInput(text=rows["body"][0])])[0], atol=1e-6
    )


def test_scattered_document_rows_exit_2_naming_the_document_and_row(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame({"doc": ["p1", "p2", "p1"], "body": DOCS["body"][:3]}).to_csv(src, index=False)
    args = ["classify", str(src), "--text-column", "body", "--out", str(out)]
    done = run_cli(*args, "--document-column", "doc")
    assert done.returncode == 2
    assert "'p1'" in done.stderr and "data row 3" in done.stderr and "sort" in done.stderr
    assert not out.exists() and not out.with_name("out.csv.tmp").exists()
    missing = run_cli(*args, "--document-column", "policy")
    assert missing.returncode == 2 and "'policy'" in missing.stderr
