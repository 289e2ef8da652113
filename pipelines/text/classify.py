"""Label policy clauses with the ten OPP-115 categories.

Two stages, all linear, stored in one ``.npz`` file (arrays only, no pickle):

1. Base models, one-vs-rest logistic regressions over TF-IDF word 1-2grams: one scores the
   whole clause, one scores each of its sentences (trained on the sentences that annotators
   highlighted for a category). A clause gets the sentence scores' maximum and mean.
2. A stacker per category, a logistic regression over the base logits of all ten categories
   (the clause, its best and its average sentence) and a small keyword lexicon (how many of
   the clause's words and word pairs fall in each of 16 groups such as retention periods,
   "do not track", children, security, policy changes, access/deletion, and its length).
   Given document context (``total > 1``), a second stacker also reads the clause-level
   logits of the previous and next clause and the clause's relative position.

Inference counts a fixed vocabulary's word 1-2grams with a regex and a dict (exactly what
scikit-learn's ``CountVectorizer`` does, which trained it) and sums coefficient rows with numpy;
the lexicon is a 0/1 matrix over the clause model's vocabulary, so its counts come from the
same pass. Loading does no fitting, and a worker process does not import scikit-learn or scipy
(~130 MB each) just to tokenise.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.categories import CATEGORIES

logger = logging.getLogger(__name__)

MODEL_FILENAME = "opp115_clauses.npz"
FORMAT_VERSION = 3
N_CATEGORIES = len(CATEGORIES)

# Base models: the clause as a whole and each of its sentences.
BASES: tuple[str, ...] = ("clause", "sentence")
NGRAM_RANGE = (1, 2)  # term_counts counts exactly these: unigrams and bigrams
# Keyword groups over the clause model's vocabulary (patterns: scripts/train_classifier.py
# LEXICON); "length" counts every vocabulary unigram. Stackers read log(1 + count).
LEXICON_GROUPS: tuple[str, ...] = (
    "retention",
    "deletion",
    "do_not_track",
    "children",
    "international",
    "security",
    "change",
    "notice",
    "access",
    "account",
    "choice",
    "third_party",
    "collection",
    "legal",
    "contact",
    "scope",
    "length",
)
N_LEXICON = len(LEXICON_GROUPS)
# Stackers: text only (clause, sentence max, sentence mean, lexicon) and with document context
# (+ previous and next clause, relative position and its square).
N_TEXT_FEATURES = 3 * N_CATEGORIES + N_LEXICON
N_CONTEXT_FEATURES = 5 * N_CATEGORIES + 2 + N_LEXICON
STACKERS: dict[str, int] = {"text": N_TEXT_FEATURES, "context": N_CONTEXT_FEATURES}

_HEADING_MAX_WORDS = 14
_LOGIT_CLIP = 1e-4
# Sentence ends: line breaks, or . ! ? ; followed by space and something that starts a sentence.
_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?;])\s+(?=[\"'(A-Z0-9•\-*])")


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
    return Path(__file__).resolve().parent.parent / "models" / MODEL_FILENAME


def _shipped_model_bytes() -> bytes:
    # through importlib.resources, so the model loads from a zipped egg too (Scrapyd)
    from importlib import resources

    return (resources.files("pipelines") / "models" / MODEL_FILENAME).read_bytes()


def first_line_heading(text: str) -> str:
    """The first line of a multi-line clause when it is short enough to be a heading."""
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


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the non-blank sentences of a text; one span at least."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_BREAK.finditer(text):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return spans or [(0, len(text))]


def relative_position(position: int, total: int) -> float:
    """Position of a clause in its document, 0 (first) … 1 (last)."""
    return min(max(position / max(total - 1, 1), 0.0), 1.0)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _LOGIT_CLIP, 1.0 - _LOGIT_CLIP)
    return np.log(p / (1.0 - p))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def stack_features(
    clause_p: np.ndarray,
    sent_max: np.ndarray,
    sent_mean: np.ndarray,
    prev_p: np.ndarray | None = None,
    next_p: np.ndarray | None = None,
    rel: np.ndarray | None = None,
    lex: np.ndarray | None = None,
) -> np.ndarray:
    """Stacker inputs: base logits; with context also the neighbours' logits and position;
    then the lexicon features when given.

    A missing neighbour (first or last clause) is all-zero logits, i.e. p = 0.5 everywhere.
    """
    parts = [logit(clause_p), logit(sent_max), logit(sent_mean)]
    if prev_p is not None and next_p is not None and rel is not None:
        rel = np.asarray(rel, dtype=np.float64).reshape(-1, 1)
        parts += [prev_p, next_p, rel, rel * rel]
    if lex is not None:
        parts.append(lex)
    return np.hstack(parts)


def _clean(text: Any) -> str:
    """Text of a cell that may be None or NaN."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text)


# CountVectorizer's default analyzer: lowercase, then runs of 2+ word characters
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def term_counts(text: str, vocabulary: dict[str, int]) -> dict[int, int]:
    """Counts of the vocabulary's word unigrams and bigrams in ``text``, by term index."""
    tokens = _TOKEN.findall(text.lower())
    counts: dict[int, int] = {}
    get = vocabulary.get
    prev = ""
    for tok in tokens:
        j = get(tok)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
        if prev:
            j = get(prev + " " + tok)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        prev = tok
    return counts


def term_matrix(
    texts: Sequence[str], vocabulary: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts (indptr, term indices, counts) of the texts' vocabulary term counts."""
    n = len(texts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    idx: list[int] = []
    cnt: list[int] = []
    for r, text in enumerate(texts):
        c = term_counts(text, vocabulary)
        idx.extend(c)
        cnt.extend(c.values())
        indptr[r + 1] = len(idx)
    return indptr, np.asarray(idx, dtype=np.int64), np.asarray(cnt, dtype=np.float64)


def _tfidf_from_terms(
    terms: tuple[np.ndarray, np.ndarray, np.ndarray], idf: np.ndarray, coef: np.ndarray
) -> np.ndarray:
    indptr, indices, cnt = terms
    scores = np.zeros((len(indptr) - 1, coef.shape[1]))
    lengths = np.diff(indptr)
    rows = np.flatnonzero(lengths)
    if not len(rows):
        return scores
    w = (1.0 + np.log(cnt)) * idf[indices]
    starts = indptr[rows]
    w /= np.repeat(np.sqrt(np.add.reduceat(w * w, starts)), lengths[rows])
    scores[rows] = np.add.reduceat(coef[indices] * w[:, None], starts, axis=0)
    return scores


def _count_sums(terms: tuple[np.ndarray, np.ndarray, np.ndarray], matrix: np.ndarray) -> np.ndarray:
    """``counts(texts) @ matrix`` (raw term counts), without a sparse matrix."""
    indptr, indices, cnt = terms
    out = np.zeros((len(indptr) - 1, matrix.shape[1]))
    lengths = np.diff(indptr)
    rows = np.flatnonzero(lengths)
    if len(rows):
        out[rows] = np.add.reduceat(matrix[indices] * cnt[:, None], indptr[rows], axis=0)
    return out


def tfidf_scores(
    texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray, coef: np.ndarray
) -> np.ndarray:
    """``tfidf(texts) @ coef``: sublinear tf times idf, rows L2-normalised, without a matrix.

    The same numbers as TfidfVectorizer(sublinear_tf=True) features times ``coef``.
    """
    return _tfidf_from_terms(term_matrix(texts, vocabulary), idf, coef)


@dataclass(frozen=True)
class _Shared:
    """The clause and sentence vocabularies merged: one lookup per term serves both."""

    index: dict[str, int]  # term -> merged id
    to_clause: np.ndarray  # merged id -> clause term index, or -1 (last entry: not found)
    to_sentence: np.ndarray
    n_clause: int  # vocabulary sizes
    n_sentence: int


def _shared_vocabulary(clause: dict[str, int], sentence: dict[str, int]) -> _Shared:
    index = {t: i for i, t in enumerate(dict.fromkeys([*clause, *sentence]))}
    to_clause = np.full(len(index) + 1, -1, dtype=np.int64)  # the last entry: not found
    to_sentence = np.full(len(index) + 1, -1, dtype=np.int64)
    for t, i in clause.items():
        to_clause[index[t]] = i
    for t, i in sentence.items():
        to_sentence[index[t]] = i
    return _Shared(index, to_clause, to_sentence, len(clause), len(sentence))


Terms = tuple[np.ndarray, np.ndarray, np.ndarray]  # CSR parts: indptr, term indices, counts


def _csr(rows: np.ndarray, terms: np.ndarray, n_rows: int, n_terms: int) -> Terms:
    """Counts of (row, term) pairs given in text order, each row's terms in first-seen order
    (the order term_counts gives, so that sums run in the same order to the last bit)."""
    keys = rows * n_terms + terms
    uniq, first, cnt = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")  # rows ascend along the text: row-major
    uniq = uniq[order]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(uniq // n_terms, minlength=n_rows), out=indptr[1:])
    return indptr, uniq % n_terms, cnt[order].astype(np.float64)


def clause_and_sentence_terms(
    texts: Sequence[str], shared: _Shared
) -> tuple[Terms, Terms, np.ndarray] | None:
    """Term counts of each text (clause vocabulary) and of each of its sentences (sentence
    vocabulary), tokenised and looked up once, and the owner row of each sentence.

    The same counts as ``term_matrix`` over the texts and over their sentences. A
    sentence break is whitespace, so a text's tokens are its sentences' tokens in order;
    None if some text breaks that (lowercasing that changes lengths), for the slow path.
    """
    tokens: list[str] = []
    sent_ntok: list[int] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        start = len(tokens)
        # ASCII lowercases character to character: slice the lowered text once
        low = text.lower() if text.isascii() else None
        for a, b in split_sentences(text):
            part = (
                _TOKEN.findall(low, a, b) if low is not None else _TOKEN.findall(text[a:b].lower())
            )
            tokens += part
            sent_ntok.append(len(part))
            owners.append(i)
        if low is None and tokens[start:] != _TOKEN.findall(text.lower()):
            return None
    n_tok = len(tokens)
    sent_of = np.repeat(np.arange(len(sent_ntok), dtype=np.int64), sent_ntok)
    owner = np.asarray(owners, dtype=np.int64)
    row_of = owner[sent_of]
    missing = len(shared.index)
    # position 2t: token t's unigram; 2t + 1: the bigram ending at token t (text order)
    ids = np.full(2 * n_tok, missing, dtype=np.int64)
    if n_tok:
        ids[0::2] = np.fromiter(
            map(shared.index.get, tokens, repeat(missing)), dtype=np.int64, count=n_tok
        )
        pairs = zip(tokens, tokens[1:], strict=False)  # each token with the next one
        bigrams = map(shared.index.get, map(" ".join, pairs), repeat(missing))
        ids[3::2] = np.fromiter(bigrams, dtype=np.int64, count=n_tok - 1)
    row = np.repeat(row_of, 2)
    sent = np.repeat(sent_of, 2)
    crosses_row = np.ones(n_tok, dtype=bool)  # a bigram whose first token is elsewhere
    crosses_sent = np.ones(n_tok, dtype=bool)
    crosses_row[1:] = row_of[1:] != row_of[:-1]
    crosses_sent[1:] = sent_of[1:] != sent_of[:-1]
    c_term = shared.to_clause[ids]
    s_term = shared.to_sentence[ids]
    c_term[1::2][crosses_row] = -1
    s_term[1::2][crosses_sent] = -1
    keep_c = c_term >= 0
    keep_s = s_term >= 0
    return (
        _csr(row[keep_c], c_term[keep_c], len(texts), max(shared.n_clause, 1)),
        _csr(sent[keep_s], s_term[keep_s], len(sent_ntok), max(shared.n_sentence, 1)),
        owner,
    )


def _read_npz_bytes(path: Path | io.BytesIO) -> dict[str, np.ndarray]:
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


@dataclass
class LinearText:
    """TF-IDF word 1-2grams over a fixed vocabulary + one logistic regression per category."""

    vocabulary: list[str]
    idf: np.ndarray
    coef: np.ndarray  # (n_terms, n_categories)
    intercept: np.ndarray
    lexicon: np.ndarray | None = None  # (n_terms, N_LEXICON) 0/1: the terms of each group

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, dtype=np.float64)
        self.coef = np.asarray(self.coef, dtype=np.float32)
        self.intercept = np.asarray(self.intercept, dtype=np.float32)
        self._index = {t: i for i, t in enumerate(self.vocabulary)}
        if self.coef.shape != (len(self.vocabulary), N_CATEGORIES):
            raise ValueError(f"coefficients have shape {self.coef.shape}")
        if self.lexicon is not None:
            self.lexicon = np.asarray(self.lexicon, dtype=np.float32)
            if self.lexicon.shape != (len(self.vocabulary), N_LEXICON):
                raise ValueError(f"lexicon has shape {self.lexicon.shape}")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba_lexicon(texts)[0]

    def predict_proba_lexicon(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and, when the model has a lexicon, log(1 + group counts)."""
        if not texts:
            lex = None if self.lexicon is None else np.zeros((0, N_LEXICON))
            return np.zeros((0, N_CATEGORIES)), lex
        return self.proba_lexicon_from_terms(term_matrix(texts, self._index))

    def proba_lexicon_from_terms(self, terms: Terms) -> tuple[np.ndarray, np.ndarray | None]:
        """``predict_proba_lexicon`` of texts already counted (``term_matrix``)."""
        probs = sigmoid(_tfidf_from_terms(terms, self.idf, self.coef) + self.intercept)
        if self.lexicon is None:
            return probs, None
        return probs, np.log1p(_count_sums(terms, self.lexicon))

    def shared_with(self, other: LinearText) -> _Shared:
        """This vocabulary merged with ``other``'s, built once per pair."""
        cached = self.__dict__.get("_shared")
        if cached is None or cached[0] is not other:
            cached = (other, _shared_vocabulary(self._index, other._index))
            self.__dict__["_shared"] = cached
        return cached[1]


@dataclass
class Stacker:
    """Standardised features + one logistic regression per category."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (n_features, n_categories)
    intercept: np.ndarray

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.scale
        return sigmoid(z @ self.coef.astype(np.float64) + self.intercept)


def _pool_sentences(
    sent_p: np.ndarray, owners: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the maximum and the mean of its sentences' probabilities."""
    sent_max = np.zeros((n, N_CATEGORIES))
    np.maximum.at(sent_max, owners, sent_p)
    sent_sum = np.zeros((n, N_CATEGORIES))
    np.add.at(sent_sum, owners, sent_p)
    counts = np.bincount(owners, minlength=n).reshape(-1, 1)
    return sent_max, sent_sum / np.maximum(counts, 1)


class ClauseClassifier:
    """Two-stage linear model: clause and sentence base models, then per-category stackers."""

    def __init__(
        self,
        bases: dict[str, LinearText],
        stackers: dict[str, Stacker],
        top_floor: float = 0.2,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.bases = bases
        self.stackers = stackers
        self.top_floor = float(top_floor)
        self.meta = dict(meta or {})
        for name, n in STACKERS.items():
            if stackers[name].coef.shape != (n, N_CATEGORIES):
                raise ValueError(f"{name} stacker has shape {stackers[name].coef.shape}")
        if bases["clause"].lexicon is None:
            raise ValueError("the clause model has no lexicon")

    # -- stage 1 ----------------------------------------------------------------------------

    def base_outputs(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Clause probabilities, the maximum and mean of its sentences' probabilities, and the
        lexicon features (None when the clause model has no lexicon)."""
        n = len(texts)
        clause, sentence = self.bases["clause"], self.bases["sentence"]
        counted = clause_and_sentence_terms(texts, clause.shared_with(sentence))
        if counted is not None:
            clause_terms, sentence_terms, idx = counted
            clause_p, lex = clause.proba_lexicon_from_terms(clause_terms)
            sent_p = sentence.proba_lexicon_from_terms(sentence_terms)[0]
            return (clause_p, *_pool_sentences(sent_p, idx, n), lex)
        clause_p, lex = clause.predict_proba_lexicon(texts)
        owners: list[int] = []
        sentences: list[str] = []
        for i, text in enumerate(texts):
            for a, b in split_sentences(text):
                owners.append(i)
                sentences.append(text[a:b])
        sent_p = sentence.predict_proba(sentences)
        return (clause_p, *_pool_sentences(sent_p, np.asarray(owners, dtype=np.int64), n), lex)

    # -- prediction -------------------------------------------------------------------------

    def raw_proba(self, clauses: Sequence[ClauseInput]) -> np.ndarray:
        """The stackers' probabilities, before the top-category rule of ``predict_proba``."""
        texts = [_clean(c.text) for c in clauses]
        clause_p, sent_max, sent_mean, lex = self.base_outputs(texts)
        probs = self.stackers["text"].predict_proba(
            stack_features(clause_p, sent_max, sent_mean, lex=lex)
        )
        in_doc = np.array([c.total > 1 for c in clauses])
        if in_doc.any():
            rows = np.flatnonzero(in_doc)
            # Neighbours are usually other clauses of the same batch: score each text once.
            known = {t: i for i, t in enumerate(texts)}
            extra = sorted(
                (
                    {_clean(clauses[r].prev_text) for r in rows}
                    | {_clean(clauses[r].next_text) for r in rows}
                )
                - set(known)
            )
            extra_logits = logit(self.bases["clause"].predict_proba(extra)) if extra else None
            clause_logits = logit(clause_p)

            def neighbour(text: str) -> np.ndarray:
                if not text.strip():
                    return np.zeros(N_CATEGORIES)
                if text in known:
                    return clause_logits[known[text]]
                return extra_logits[extra.index(text)]  # type: ignore[index]

            prev_l = np.stack([neighbour(_clean(clauses[r].prev_text)) for r in rows])
            next_l = np.stack([neighbour(_clean(clauses[r].next_text)) for r in rows])
            rel = np.array([relative_position(clauses[r].position, clauses[r].total) for r in rows])
            x = stack_features(
                clause_p[rows],
                sent_max[rows],
                sent_mean[rows],
                prev_l,
                next_l,
                rel,
                lex=None if lex is None else lex[rows],
            )
            probs[rows] = self.stackers["context"].predict_proba(x)
        empty = np.array([not t.strip() for t in texts])
        probs[empty] = 0.0
        return probs

    def predict_proba(self, clauses: Sequence[ClauseInput]) -> np.ndarray:
        """Probabilities, shape (n, 10), columns in CATEGORIES order, float32.

        Every clause of a policy is about something: when no category reaches 0.5, the most
        likely one is raised to 0.5 (if it is at least ``top_floor``), so that it is assigned.
        Clauses with empty text get zeros: there is nothing to label.
        """
        if not clauses:
            return np.zeros((0, N_CATEGORIES), dtype=np.float32)
        return apply_top_rule(self.raw_proba(clauses), self.top_floor).astype(np.float32)

    def labels(self, probs: np.ndarray, threshold: float = 0.5) -> list[list[str]]:
        """Per row, the categories at or above the threshold, in CATEGORIES order."""
        mask = np.asarray(probs) >= threshold
        return [[c for c, on in zip(CATEGORIES, row, strict=True) if on] for row in mask]

    # -- storage ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model as one deterministic .npz file (no pickle)."""
        path = Path(path)
        meta = {
            **{k: v for k, v in self.meta.items() if k != "vocabularies"},
            "format_version": FORMAT_VERSION,
            "categories": list(CATEGORIES),
            "top_floor": self.top_floor,
            "lexicon_groups": list(LEXICON_GROUPS),
            "vocabularies": {b: self.bases[b].vocabulary for b in BASES},
        }
        blob = json.dumps(meta, sort_keys=True, ensure_ascii=False).encode("utf-8")
        arrays: dict[str, np.ndarray] = {"meta_json": np.frombuffer(blob, dtype=np.uint8)}
        for b in BASES:
            base = self.bases[b]
            arrays[f"{b}_idf"] = base.idf.astype(np.float32)
            arrays[f"{b}_coef"] = base.coef.astype(np.float32)
            arrays[f"{b}_intercept"] = base.intercept.astype(np.float32)
            if base.lexicon is not None:
                arrays[f"{b}_lexicon"] = base.lexicon.astype(np.uint8)
        for s in STACKERS:
            st = self.stackers[s]
            for part in ("mean", "scale", "coef", "intercept"):
                arrays[f"stack_{s}_{part}"] = np.asarray(getattr(st, part), dtype=np.float64)
        write_npz_deterministic(path, arrays)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> ClauseClassifier:
        """Load a model file; the shipped model when no path is given."""
        if path is None and not default_model_path().is_file():
            path = default_model_path()  # named in errors; the bytes come from the egg
            arrays = _read_npz_bytes(io.BytesIO(_shipped_model_bytes()))
        else:
            path = Path(path) if path is not None else default_model_path()
            if not path.is_file():
                raise FileNotFoundError(f"classifier model not found: {path}")
            arrays = _read_npz_bytes(path)
        meta = json.loads(arrays["meta_json"].tobytes().decode("utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported model format {meta.get('format_version')!r}")
        if tuple(meta.get("categories", ())) != CATEGORIES:
            raise ValueError(f"{path}: categories differ from pipelines.categories.CATEGORIES")
        vocabularies = meta.pop("vocabularies")
        bases = {
            b: LinearText(
                vocabulary=vocabularies[b],
                idf=arrays[f"{b}_idf"],
                coef=arrays[f"{b}_coef"],
                intercept=arrays[f"{b}_intercept"],
                lexicon=arrays.get(f"{b}_lexicon"),
            )
            for b in BASES
        }
        stackers = {
            s: Stacker(
                **{p: arrays[f"stack_{s}_{p}"] for p in ("mean", "scale", "coef", "intercept")}
            )
            for s in STACKERS
        }
        return cls(bases, stackers, top_floor=meta.pop("top_floor"), meta=meta)


def apply_top_rule(probs: np.ndarray, floor: float) -> np.ndarray:
    """Raise each row's best category to 0.5 when none reaches it and the best is >= floor."""
    out = np.array(probs, dtype=np.float64, copy=True)
    if len(out) == 0:
        return out
    best = out.argmax(axis=1)
    top = out[np.arange(len(out)), best]
    lift = (top < 0.5) & (top >= floor) & (top > 0)
    out[np.flatnonzero(lift), best[lift]] = 0.5
    return out


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
