"""Label the text column of a CSV with OPP-115 categories (the `policyarchive classify` command).

Rows are classified one at a time as bare text: a CSV carries no document structure, so
the model gets no heading path, neighbours or position.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.classify import ClauseClassifier, ClauseInput
from pipelines.schemas import CATEGORIES, category_field_name

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


def classify_frame(frame: pd.DataFrame, text_column: str, model: ClauseClassifier) -> pd.DataFrame:
    """A copy of the frame with `categories` and the p_<category> columns added."""
    if text_column not in frame.columns:
        available = ", ".join(repr(str(c)) for c in frame.columns) or "(none)"
        raise ValueError(f"column {text_column!r} not found; available columns: {available}")
    texts = _texts(frame[text_column])
    chunks = [
        model.predict_proba([ClauseInput(text=t) for t in texts[i : i + BATCH_SIZE]])
        for i in range(0, len(texts), BATCH_SIZE)
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


def classify_csv(
    in_path: str | Path,
    text_column: str,
    out_path: str | Path,
    *,
    model: ClauseClassifier | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Classify `text_column` of a CSV; write CSV or Parquet (by extension); return rows written.

    Input columns are kept as they are (read as strings, so identifiers keep their leading
    zeros). Raises ValueError naming the column and the available ones when it is missing.
    The input is read and written ``chunk_rows`` rows at a time: memory does not grow with
    the file (a researcher's corpus can be millions of rows).
    """
    in_path, out_path = Path(in_path), Path(out_path)
    fmt = _output_format(out_path)
    model = model or ClauseClassifier.load()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    rows = 0
    parquet: pq.ParquetWriter | None = None
    try:
        chunks = pd.read_csv(
            in_path, dtype=str, keep_default_na=False, na_values=[""], chunksize=chunk_rows
        )
        for chunk in chunks:
            result = classify_frame(chunk, text_column, model)
            if fmt == "csv":
                result.to_csv(tmp, index=False, mode="w" if rows == 0 else "a", header=rows == 0)
            else:
                schema = _arrow_schema([str(c) for c in result.columns])
                parquet = parquet or pq.ParquetWriter(tmp, schema)
                parquet.write_table(pa.Table.from_pandas(result, schema, preserve_index=False))
            rows += len(result)
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
