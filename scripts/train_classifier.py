"""Train the OPP-115 clause category classifier on the train split and write the shipped model.

    .venv/bin/python scripts/train_classifier.py [--data ../shared/data/opp115] [--out PATH]

Only policies whose split is ``train`` are read, both their segments and their span
annotations. The same data gives a byte-identical model file (sorted vocabularies,
deterministic solver, fixed zip timestamps); the sha256 is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from pipelines.classify import (
    N_POSITION_FEATURES,
    NGRAMS,
    TEXT_BLOCKS,
    ClauseClassifier,
    ClauseInput,
    clause_inputs_from_document,
    default_model_path,
    heading_text,
    infer_heading_paths,
)
from pipelines.schemas import CATEGORIES

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "opp115"


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters, chosen by grouped CV on the train split (see docs/classifier.md)."""

    C: float = 10.0
    min_df: int = 2
    max_df: float = 0.9
    block_weights: dict[str, float] = field(
        default_factory=lambda: {"text": 1.0, "heading": 0.5, "context": 0.3, "position": 0.5}
    )
    span_weight: float = 0.1  # annotators' highlighted spans as extra, light examples
    single_vote_weight: float = 0.3  # a negative that one of three annotators called positive
    balance_power: float = 1.0  # positives weighted (negatives/positives) ** power; 1 = balanced


# -- data ------------------------------------------------------------------------------------


def load_segments(data_dir: Path) -> pd.DataFrame:
    """OPP-115 segments in document order (policy_id, segment_id)."""
    df = pd.read_csv(data_dir / "segments.csv", dtype={"majority_categories": str})
    df["segment_text"] = df["segment_text"].fillna("").astype(str)
    df["majority_categories"] = df["majority_categories"].fillna("")
    df["annotator_votes"] = df["annotator_votes"].fillna("")
    return df.sort_values(["policy_id", "segment_id"], kind="stable").reset_index(drop=True)


def gold_matrix(labels: Sequence[str]) -> np.ndarray:
    """Binary matrix (n, 10) from `;`-joined category strings (empty = no category)."""
    out = np.zeros((len(labels), len(CATEGORIES)), dtype=np.int8)
    index = {c: i for i, c in enumerate(CATEGORIES)}
    for row, joined in enumerate(labels):
        for cat in str(joined).split(";"):
            if cat in index:
                out[row, index[cat]] = 1
    return out


def vote_matrix(votes: Sequence[str]) -> np.ndarray:
    """Annotator vote counts (n, 10) from 'Category=3;Other=1' strings."""
    out = np.zeros((len(votes), len(CATEGORIES)), dtype=np.int8)
    index = {c: i for i, c in enumerate(CATEGORIES)}
    for row, joined in enumerate(votes):
        for part in str(joined).split(";"):
            cat, sep, count = part.rpartition("=")
            if sep and cat in index:
                out[row, index[cat]] = int(count)
    return out


def clause_inputs(df: pd.DataFrame) -> list[ClauseInput]:
    """Segments as ClauseInputs with the context a segmenter would give them.

    OPP-115 has no heading paths: a heading is the first line of the segment that opens a
    section, so later segments inherit the last heading seen in their policy.
    """
    out: list[ClauseInput] = []
    for _pid, group in df.groupby("policy_id", sort=True):
        texts = group["segment_text"].tolist()
        out.extend(clause_inputs_from_document(texts, infer_heading_paths(texts)))
    return out


def load_spans(data_dir: Path, policy_files: Sequence[str]) -> list[tuple[str, int]]:
    """(highlighted text, category index) per annotation, for the given policies only."""
    index = {c: i for i, c in enumerate(CATEGORIES)}
    rows: list[tuple[str, int]] = []
    for name in sorted(set(policy_files)):
        path = data_dir / "annotations" / f"{name}.csv"
        if not path.is_file():
            logger.warning("no annotation file for %s", name)
            continue
        ann = pd.read_csv(path, header=None, dtype=str)
        for cat, blob in zip(ann[5], ann[6], strict=True):
            if cat not in index:
                continue
            spans = [
                v.get("selectedText") or ""
                for v in json.loads(blob).values()
                if isinstance(v, dict) and v.get("startIndexInSegment", -1) >= 0
            ]
            text = " ".join(s for s in dict.fromkeys(spans) if s and s != "null")
            if text:
                rows.append((text, index[cat]))
    return sorted(set(rows))


# -- fitting ---------------------------------------------------------------------------------


def _vocab_and_idf(
    docs: Sequence[str], ngram_range: tuple[int, int], min_df: int, max_df: float
) -> tuple[list[str], np.ndarray]:
    """Sorted vocabulary and smooth idf, as TfidfVectorizer would compute them."""
    cv = CountVectorizer(ngram_range=ngram_range, min_df=min_df, max_df=max_df, binary=True)
    try:
        counts = cv.fit_transform(docs)
    except ValueError:  # no term survives the document-frequency limits
        return [], np.zeros(0)
    vocab = [str(t) for t in cv.get_feature_names_out()]  # sorted
    df = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    return vocab, idf


def fit_classifier(
    inputs: Sequence[ClauseInput],
    gold: np.ndarray,
    votes: np.ndarray | None = None,
    spans: Sequence[tuple[str, int]] = (),
    config: TrainConfig | None = None,
    meta: dict | None = None,
) -> ClauseClassifier:
    """Fit vocabularies and one logistic regression per category."""
    cfg = config or TrainConfig()
    texts = [c.text for c in inputs]
    docs = {"text": texts, "heading": [heading_text(c) for c in inputs], "context": texts}
    vocabularies: dict[str, list[str]] = {}
    idf: dict[str, np.ndarray] = {}
    for block in TEXT_BLOCKS:
        # Headings are short and repeated: keep every heading term seen twice, however common.
        max_df = 1.0 if block == "heading" else cfg.max_df
        vocabularies[block], idf[block] = _vocab_and_idf(
            docs[block], NGRAMS[block], cfg.min_df, max_df
        )
    n_features = (
        len(vocabularies["text"])
        + len(vocabularies["heading"])
        + 2 * len(vocabularies["context"])
        + N_POSITION_FEATURES
    )
    model = ClauseClassifier(
        vocabularies=vocabularies,
        idf=idf,
        block_weights=dict(cfg.block_weights),
        coef=np.zeros((n_features, len(CATEGORIES)), dtype=np.float32),
        intercept=np.zeros(len(CATEGORIES), dtype=np.float32),
    )
    x_seg = model.features(inputs)
    x_span = model.features([ClauseInput(text=t) for t, _ in spans])
    span_cat = np.array([k for _, k in spans], dtype=np.int64)
    x_all = sp.vstack([x_seg, x_span], format="csr")
    coef = np.zeros((n_features, len(CATEGORIES)), dtype=np.float32)
    intercept = np.zeros(len(CATEGORIES), dtype=np.float32)
    for k in range(len(CATEGORIES)):
        y_seg = gold[:, k].astype(np.int64)
        w_seg = np.ones(len(inputs))
        if votes is not None:
            w_seg[(y_seg == 0) & (votes[:, k] == 1)] = cfg.single_vote_weight
        y = np.concatenate([y_seg, (span_cat == k).astype(np.int64)])
        w = np.concatenate([w_seg, np.full(len(spans), cfg.span_weight)])
        if y.min() == y.max():
            logger.warning("category %s has a single class in training data", CATEGORIES[k])
            intercept[k] = 10.0 if y[0] else -10.0
            continue
        n_pos = float(y_seg.sum() + (span_cat == k).sum())
        balance = ((len(y) - n_pos) / max(n_pos, 1.0)) ** cfg.balance_power
        lr = LogisticRegression(
            C=cfg.C,
            class_weight={0: 1.0, 1: balance},
            solver="liblinear",
            max_iter=5000,
            random_state=0,
        )
        lr.fit(x_all, y, sample_weight=w)
        coef[:, k] = lr.coef_[0]
        intercept[k] = lr.intercept_[0]
    return ClauseClassifier(
        vocabularies=vocabularies,
        idf=idf,
        block_weights=dict(cfg.block_weights),
        coef=coef,
        intercept=intercept,
        meta={"config": asdict(cfg), **(meta or {})},
    )


def train_on_policies(
    df: pd.DataFrame, data_dir: Path, config: TrainConfig | None = None, with_spans: bool = True
) -> ClauseClassifier:
    """Fit on exactly the policies present in ``df`` (segments and their span annotations)."""
    policy_ids = sorted(int(p) for p in df["policy_id"].unique())
    spans = load_spans(data_dir, sorted(df["policy_file"].unique())) if with_spans else []
    return fit_classifier(
        clause_inputs(df),
        gold_matrix(df["majority_categories"].tolist()),
        vote_matrix(df["annotator_votes"].tolist()),
        spans,
        config,
        meta={
            "training_data": "OPP-115 (Wilson et al., ACL 2016), segments.csv",
            "training_policy_ids": policy_ids,
            "n_training_segments": len(df),
            "n_training_spans": len(spans),
        },
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="OPP-115 folder")
    parser.add_argument("--out", type=Path, default=default_model_path(), help="model file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    segments = load_segments(args.data)
    train = segments[segments["split"] == "train"]
    model = train_on_policies(train, args.data)
    path = model.save(args.out)
    print(f"trained on {train['policy_id'].nunique()} policies, {len(train)} segments")
    print(f"wrote {path} ({path.stat().st_size} bytes) sha256 {sha256_of(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
