"""Label policy clauses with the ten OPP-115 categories.

The model is a one-vs-rest logistic regression over sparse features: TF-IDF word 1-2grams
of the clause, word 1-2grams of its heading, word unigrams of the neighbouring clauses and
the clause's relative position. Everything is stored in one ``.npz`` file (arrays only,
no pickle); the vocabularies and metadata sit inside it as a UTF-8 JSON byte array.
Inference builds sparse matrices with scikit-learn's ``CountVectorizer`` over a fixed
vocabulary, so loading does no fitting and classification runs thousands of clauses a second.
"""

from __future__ import annotations

import io
import json
import logging
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from pipelines.schemas import CATEGORIES

logger = logging.getLogger(__name__)

MODEL_FILENAME = "opp115_clauses.npz"
FORMAT_VERSION = 1
N_POSITION_FEATURES = 7  # five position bins + first + last

# Feature blocks in column order. Each text block has its own vocabulary and idf.
TEXT_BLOCKS: tuple[str, ...] = ("text", "heading", "context")
NGRAMS: dict[str, tuple[int, int]] = {"text": (1, 2), "heading": (1, 2), "context": (1, 1)}

_HEADING_MAX_WORDS = 14


@dataclass
class ClauseInput:
    text: str
    heading_path: list[str] = field(default_factory=list)  # outermost first
    position: int = 0  # index of the clause in its document
    total: int = 1  # number of clauses in the document
    prev_text: str = ""  # neighbouring clauses' text
    next_text: str = ""


def default_model_path() -> Path:
    """The model shipped with the package."""
    return Path(__file__).resolve().parent / "models" / MODEL_FILENAME


def first_line_heading(text: str) -> str:
    """The first line of a multi-line clause when it is short enough to be a heading.

    OPP-115 segments (and clauses cut without structure) carry their heading as the first
    line of the text; the model reads it as heading context too.
    """
    head, sep, _rest = text.strip().partition("\n")
    if not sep:
        return ""
    head = head.strip().lstrip("#").strip()
    return head if 0 < len(head.split()) <= _HEADING_MAX_WORDS else ""


def heading_text(clause: ClauseInput) -> str:
    """The heading context of a clause: its two innermost headings plus a first-line heading."""
    parts = [h for h in (clause.heading_path or [])[-2:] if h]
    inline = first_line_heading(clause.text)
    if inline and inline not in parts:
        parts.append(inline)
    return "\n".join(parts)


def position_features(position: int, total: int) -> np.ndarray:
    """Five relative-position bins plus is-first and is-last; all zero when unknown (total<=1)."""
    out = np.zeros(N_POSITION_FEATURES, dtype=np.float64)
    if total <= 1:
        return out
    rel = min(max(position / total, 0.0), 0.999)
    out[int(rel * 5)] = 1.0
    out[5] = float(position == 0)
    out[6] = float(position == total - 1)
    return out


def _clean(text: Any) -> str:
    """Text of a cell that may be None or NaN."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text)


def _vectorizer(vocabulary: dict[str, int], ngram_range: tuple[int, int]) -> CountVectorizer:
    """A count vectorizer over a fixed vocabulary (same tokenizer as at training time)."""
    return CountVectorizer(vocabulary=vocabulary, ngram_range=ngram_range, dtype=np.float64)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows L2-normalised (TfidfVectorizer's sublinear_tf=True)."""
    x = counts.tocsr().astype(np.float64)
    x.data = 1.0 + np.log(x.data)
    x = x @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def _read_npz_bytes(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def write_npz_deterministic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as an .npz whose bytes depend only on the arrays (np.savez stamps times)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    tmp.replace(path)


class ClauseClassifier:
    """One-vs-rest linear model over clause, heading, neighbour and position features."""

    def __init__(
        self,
        vocabularies: dict[str, list[str]],
        idf: dict[str, np.ndarray],
        block_weights: dict[str, float],
        coef: np.ndarray,
        intercept: np.ndarray,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.vocabularies = vocabularies
        self.idf = idf
        self.block_weights = block_weights
        self.coef = np.asarray(coef, dtype=np.float32)  # (n_features, n_categories)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.meta = dict(meta or {})
        self._vectorizers = {
            name: _vectorizer({t: i for i, t in enumerate(vocabularies[name])}, NGRAMS[name])
            for name in TEXT_BLOCKS
        }
        if self.coef.shape != (self.n_features, len(CATEGORIES)):
            raise ValueError(
                f"model coefficients have shape {self.coef.shape}, "
                f"expected ({self.n_features}, {len(CATEGORIES)})"
            )

    @property
    def n_features(self) -> int:
        # The context vocabulary is used twice: previous and next clause.
        v = self.vocabularies
        return len(v["text"]) + len(v["heading"]) + 2 * len(v["context"]) + N_POSITION_FEATURES

    # -- features ---------------------------------------------------------------------------

    def _block(self, name: str, texts: Sequence[str]) -> sp.csr_matrix:
        if not self.vocabularies[name]:  # e.g. a training set without any headings
            return sp.csr_matrix((len(texts), 0))
        counts = self._vectorizers[name].transform(texts)
        return tfidf(counts, self.idf[name]) * self.block_weights.get(name, 1.0)

    def features(self, clauses: Sequence[ClauseInput]) -> sp.csr_matrix:
        """The sparse design matrix: text | heading | prev context | next context | position."""
        texts = [_clean(c.text) for c in clauses]
        headings = [
            heading_text(ClauseInput(text=t, heading_path=c.heading_path))
            for t, c in zip(texts, clauses, strict=True)
        ]
        # Neighbours are usually other clauses of the same batch: vectorise each text once.
        prevs = [_clean(c.prev_text) for c in clauses]
        nexts = [_clean(c.next_text) for c in clauses]
        unique = sorted(set(prevs) | set(nexts))
        index = {t: i for i, t in enumerate(unique)}
        ctx = self._block("context", unique)
        prev_m = ctx[[index[t] for t in prevs]]
        next_m = ctx[[index[t] for t in nexts]]
        pos = (
            np.stack([position_features(c.position, c.total) for c in clauses])
            if clauses
            else (np.zeros((0, N_POSITION_FEATURES)))
        )
        pos_m = sp.csr_matrix(pos * self.block_weights.get("position", 1.0))
        return sp.hstack(
            [self._block("text", texts), self._block("heading", headings), prev_m, next_m, pos_m],
            format="csr",
        )

    # -- prediction -------------------------------------------------------------------------

    def predict_proba(self, clauses: Sequence[ClauseInput]) -> np.ndarray:
        """Probabilities, shape (n, 10), columns in CATEGORIES order, float32.

        Clauses with empty text get zeros: there is nothing to label.
        """
        n = len(clauses)
        if n == 0:
            return np.zeros((0, len(CATEGORIES)), dtype=np.float32)
        x = self.features(clauses)
        scores = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        probs = 1.0 / (1.0 + np.exp(-scores))
        empty = np.array([not _clean(c.text).strip() for c in clauses])
        probs[empty] = 0.0
        return probs.astype(np.float32)

    def labels(self, probs: np.ndarray, threshold: float = 0.5) -> list[list[str]]:
        """Per row, the categories at or above the threshold, in CATEGORIES order."""
        mask = np.asarray(probs) >= threshold
        return [[c for c, on in zip(CATEGORIES, row, strict=True) if on] for row in mask]

    # -- storage ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model as one deterministic .npz file (no pickle)."""
        path = Path(path)
        meta = {
            "format_version": FORMAT_VERSION,
            "categories": list(CATEGORIES),
            "block_weights": self.block_weights,
            "vocabularies": self.vocabularies,
            **{k: v for k, v in self.meta.items() if k not in ("vocabularies", "block_weights")},
        }
        blob = json.dumps(meta, sort_keys=True, ensure_ascii=False).encode("utf-8")
        arrays = {
            "meta_json": np.frombuffer(blob, dtype=np.uint8),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            **{f"idf_{b}": self.idf[b].astype(np.float32) for b in TEXT_BLOCKS},
        }
        write_npz_deterministic(path, arrays)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> ClauseClassifier:
        """Load a model file; the shipped model when no path is given."""
        path = Path(path) if path is not None else default_model_path()
        if not path.is_file():
            raise FileNotFoundError(f"classifier model not found: {path}")
        arrays = _read_npz_bytes(path)
        meta = json.loads(arrays["meta_json"].tobytes().decode("utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported model format {meta.get('format_version')!r}")
        if tuple(meta.get("categories", ())) != CATEGORIES:
            raise ValueError(f"{path}: model categories differ from pipelines.schemas.CATEGORIES")
        vocabularies = meta.pop("vocabularies")
        block_weights = meta.pop("block_weights")
        return cls(
            vocabularies=vocabularies,
            idf={b: arrays[f"idf_{b}"].astype(np.float64) for b in TEXT_BLOCKS},
            block_weights=block_weights,
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            meta=meta,
        )


def infer_heading_paths(texts: Sequence[str]) -> list[list[str]]:
    """Heading paths for clauses that carry their headings inline (OPP-115 segments).

    A clause whose first line is a heading holds it already; later clauses inherit the
    last heading seen, as a segmenter's heading path would give them.
    """
    paths: list[list[str]] = []
    current = ""
    for text in texts:
        own = first_line_heading(_clean(text))
        paths.append([] if own or not current else [current])
        current = own or current
    return paths


def clause_inputs_from_document(
    texts: Sequence[str], heading_paths: Sequence[list[str]] | None = None
) -> list[ClauseInput]:
    """ClauseInputs for the clauses of one document, in order, with neighbours and position."""
    n = len(texts)
    paths = heading_paths if heading_paths is not None else [[] for _ in range(n)]
    return [
        ClauseInput(
            text=texts[i],
            heading_path=list(paths[i]),
            position=i,
            total=n,
            prev_text=texts[i - 1] if i > 0 else "",
            next_text=texts[i + 1] if i + 1 < n else "",
        )
        for i in range(n)
    ]
