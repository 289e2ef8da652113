"""Label the text column of a CSV with OPP-115 categories (the `policyarchive classify` command).

By default rows are classified one at a time as bare text: a CSV carries no document
structure, so the model gets no heading path, neighbours or position. With a document column
(``--document-column``), consecutive rows with the same value are one document's clauses in
order, and each row is labelled with that context, as the crawl labels its clauses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.storage.schemas import CATEGORIES, category_field_name
from pipelines.text.classify import (
    ClauseClassifier,
    ClauseInput,
    clause_inputs_from_document,
    infer_heading_paths,
)

logger = logging.getLogger(__name__)

CATEGORIES_COLUMN = "categories"
BATCH_SIZE = 4096  # bounded memory for the sparse design matrix
CHUNK_ROWS = 10_000  # CSV rows read, classified and written at a time (~30 MB)


def probability_columns() -> list[str]:
    """Output column names, one per category in CATEGORIES order: p_first_party_collection_use…"""
    return [f"p_{category_field_name(c)}" for c in CATEGORIES]


def _output_format(out_path: Path) -> str:
    suffix = out_path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".parquet":
        return "parquet"
    raise ValueError(f"output must end with .csv or .parquet, got {out_path.name!r}")


def _texts(column: pd.Series) -> list[str]:
    """Cell values as strings; NaN/None become empty (no categories)."""
    return ["" if pd.isna(v) else str(v) for v in column.tolist()]


def _check_column(frame: pd.DataFrame, column: str) -> None:
    if column not in frame.columns:
        available = ", ".join(repr(str(c)) for c in frame.columns) or "(none)"
        raise ValueError(f"column {column!r} not found; available columns: {available}")


def document_runs(ids: list[str | None]) -> list[tuple[int, int]]:
    """(start, end) of each run of equal consecutive document ids; an empty id is a run of
    its own (a row with no document is classified alone)."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] is None or ids[i] != ids[start]:
            runs.append((start, i))
            start = i
    return runs


def _ids(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) or str(v) == "" else str(v) for v in column.tolist()]


def clause_inputs(texts: list[str], ids: list[str | None] | None) -> list[ClauseInput]:
    """Bare texts, or with a document id per row, each document's clauses with their context
    (heading path, neighbours, position) exactly as the model was trained to read them."""
    if ids is None:
        return [ClauseInput(text=t) for t in texts]
    out: list[ClauseInput] = []
    for a, b in document_runs(ids):
        if ids[a] is None:
            out.append(ClauseInput(text=texts[a]))
            continue
        doc = texts[a:b]
        out.extend(clause_inputs_from_document(doc, infer_heading_paths(doc)))
    return out


def classify_frame(
    frame: pd.DataFrame,
    text_column: str,
    model: ClauseClassifier,
    document_column: str | None = None,
) -> pd.DataFrame:
    """A copy of the frame with `categories` and the p_<category> columns added."""
    _check_column(frame, text_column)
    if document_column is not None:
        _check_column(frame, document_column)
    texts = _texts(frame[text_column])
    inputs = clause_inputs(
        texts, _ids(frame[document_column]) if document_column is not None else None
    )
    chunks = [
        model.predict_proba(inputs[i : i + BATCH_SIZE]) for i in range(0, len(inputs), BATCH_SIZE)
    ]
    probs = np.vstack(chunks) if chunks else np.zeros((0, len(CATEGORIES)), dtype=np.float32)
    out = frame.copy()
    out[CATEGORIES_COLUMN] = [";".join(labels) for labels in model.labels(probs)]
    for i, name in enumerate(probability_columns()):
        out[name] = probs[:, i]
    return out


def _arrow_schema(columns: list[str]) -> pa.Schema:
    """Probabilities as float32, every other column (input cells, categories) a string:
    fixed, so that a chunk whose column is all empty cannot change a column's type."""
    probs = set(probability_columns())
    return pa.schema([pa.field(c, pa.float32() if c in probs else pa.string()) for c in columns])


def document_chunks(chunks: Iterable[pd.DataFrame], document_column: str) -> Iterator[pd.DataFrame]:
    """Re-cut CSV chunks at document boundaries: a document that a chunk boundary splits is
    held back and classified whole with the next chunk (its neighbours and position need all
    of it). A document whose rows are not consecutive raises ValueError naming it and the row.
    """
    carry: pd.DataFrame | None = None
    done: set[str] = set()  # documents already classified
    offset = 0  # data rows (1-based numbering in messages) before ``frame``
    for chunk in chunks:
        _check_column(chunk, document_column)
        frame = chunk if carry is None else pd.concat([carry, chunk], ignore_index=True)
        ids = _ids(frame[document_column])
        runs = document_runs(ids)
        for a, b in runs:
            if ids[a] is not None and ids[a] in done:
                raise ValueError(
                    f"rows of document {ids[a]!r} in column {document_column!r} are not "
                    f"consecutive (again at data row {offset + a + 1}); sort the file by it"
                )
            if (a, b) != runs[-1] and ids[a] is not None:
                done.add(ids[a])
        cut = runs[-1][0] if runs else len(frame)
        if cut:
            yield frame.iloc[:cut]
        carry = frame.iloc[cut:].reset_index(drop=True)
        offset += cut
    if carry is not None:
        yield carry


def classify_csv(
    in_path: str | Path,
    text_column: str,
    out_path: str | Path,
    *,
    document_column: str | None = None,
    model: ClauseClassifier | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Classify `text_column` of a CSV; write CSV or Parquet (by extension); return rows written.

    Input columns are kept as they are (read as strings, so identifiers keep their leading
    zeros). Raises ValueError naming the column and the available ones when it is missing.
    The input is read and written ``chunk_rows`` rows at a time: memory does not grow with
    the file (a researcher's corpus can be millions of rows). With ``document_column``,
    consecutive rows with the same value are one document's clauses in order (see
    ``clause_inputs``). ``on_progress(rows_done, None)`` is called after each chunk (the
    console's progress display; the total is unknown until the file is read).
    """
    in_path, out_path = Path(in_path), Path(out_path)
    fmt = _output_format(out_path)
    model = model or ClauseClassifier.load()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    rows = 0
    parquet: pq.ParquetWriter | None = None
    try:
        chunks: Iterable[pd.DataFrame] = pd.read_csv(
            in_path, dtype=str, keep_default_na=False, na_values=[""], chunksize=chunk_rows
        )
        if document_column is not None:
            chunks = document_chunks(chunks, document_column)
        for chunk in chunks:
            result = classify_frame(chunk, text_column, model, document_column)
            if fmt == "csv":
                result.to_csv(tmp, index=False, mode="w" if rows == 0 else "a", header=rows == 0)
            else:
                schema = _arrow_schema([str(c) for c in result.columns])
                parquet = parquet or pq.ParquetWriter(tmp, schema)
                parquet.write_table(pa.Table.from_pandas(result, schema, preserve_index=False))
            rows += len(result)
            if on_progress is not None:
                on_progress(rows, None)
        if parquet is not None:
            parquet.close()
            parquet = None
        tmp.replace(out_path)  # a reader never sees a half-written file
    except BaseException:
        if parquet is not None:
            parquet.close()
        tmp.unlink(missing_ok=True)
        raise
    logger.info("classified %d rows of %s into %s", rows, in_path, out_path)
    return rows
