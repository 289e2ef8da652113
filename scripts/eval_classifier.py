"""Evaluate the clause classifier on OPP-115, policy-disjoint, beside a plain baseline.

    .venv/bin/python scripts/eval_classifier.py [--data DIR] [--folds 5] [--json PATH]

(a) train on the train split, score the dev split (20 held-out policies);
(b) grouped k-fold CV over train+dev, folds grouped by policy_id, predictions pooled.
Every model, vocabulary and idf is fitted inside the training part only; the decision
threshold is a fixed 0.5 (nothing is tuned on the scored part). Gold is
majority_categories; segments without one have the empty label set. The baseline is
TF-IDF word 1-2grams of the segment text + one-vs-rest logistic regression
(C=10, balanced class weights).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GroupKFold
from train_classifier import (
    DEFAULT_DATA,
    clause_inputs,
    gold_matrix,
    load_segments,
    train_on_policies,
)

from pipelines.storage.schemas import CATEGORIES
from pipelines.text.classify import ClauseInput

logger = logging.getLogger(__name__)

Predictor = Callable[[pd.DataFrame, pd.DataFrame, Path], dict[str, np.ndarray]]


def scores(gold: np.ndarray, pred: np.ndarray) -> dict:
    """Per-category precision/recall/F1/support plus micro and macro averages."""
    p, r, f, s = precision_recall_fscore_support(gold, pred, zero_division=0)
    out: dict = {
        "per_category": {
            c: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, c in enumerate(CATEGORIES)
        }
    }
    for avg in ("micro", "macro"):
        ap, ar, af, _ = precision_recall_fscore_support(gold, pred, average=avg, zero_division=0)
        out[avg] = {"precision": float(ap), "recall": float(ar), "f1": float(af)}
    return out


def predict_model(train: pd.DataFrame, test: pd.DataFrame, data_dir: Path) -> dict[str, np.ndarray]:
    """The shipped recipe: with document context, and on bare text (no context at all)."""
    model = train_on_policies(train, data_dir)
    with_ctx = model.predict_proba(clause_inputs(test))
    bare = model.predict_proba([ClauseInput(text=t) for t in test["segment_text"]])
    return {"model": with_ctx >= 0.5, "model_text_only": bare >= 0.5}


def predict_baseline(
    train: pd.DataFrame, test: pd.DataFrame, _data_dir: Path
) -> dict[str, np.ndarray]:
    """Plain TF-IDF + logistic regression on the segment text alone."""
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vec.fit_transform(train["segment_text"])
    x_test = vec.transform(test["segment_text"])
    gold = gold_matrix(train["majority_categories"].tolist())
    pred = np.zeros((len(test), len(CATEGORIES)), dtype=bool)
    for k in range(len(CATEGORIES)):
        lr = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear", random_state=0)
        pred[:, k] = lr.fit(x_train, gold[:, k]).predict(x_test) == 1
    return {"baseline": pred}


def run_split(
    train: pd.DataFrame, test: pd.DataFrame, data_dir: Path, predictors: Sequence[Predictor]
) -> dict[str, np.ndarray]:
    preds: dict[str, np.ndarray] = {}
    for predictor in predictors:
        preds.update(predictor(train, test, data_dir))
    return preds


def evaluate(data_dir: Path, folds: int) -> dict:
    df = load_segments(data_dir)
    predictors: list[Predictor] = [predict_model, predict_baseline]
    result: dict = {}

    train, dev = df[df["split"] == "train"], df[df["split"] == "dev"]
    assert not set(train["policy_id"]) & set(dev["policy_id"]), "split is not policy-disjoint"
    gold_dev = gold_matrix(dev["majority_categories"].tolist())
    preds = run_split(train, dev, data_dir, predictors)
    result["dev"] = {
        "n_segments": len(dev),
        "n_policies": int(dev["policy_id"].nunique()),
        **{name: scores(gold_dev, p) for name, p in preds.items()},
    }

    if folds > 1:
        gold_all = gold_matrix(df["majority_categories"].tolist())
        pooled: dict[str, np.ndarray] = {}
        splitter = GroupKFold(n_splits=folds)
        for i, (tr, te) in enumerate(splitter.split(df, groups=df["policy_id"])):
            logger.info("fold %d/%d: %d test segments", i + 1, folds, len(te))
            fold = run_split(df.iloc[tr], df.iloc[te], data_dir, predictors)
            for name, p in fold.items():
                pooled.setdefault(name, np.zeros_like(gold_all, dtype=bool))[te] = p
        result["cv"] = {
            "folds": folds,
            "n_segments": len(df),
            "n_policies": int(df["policy_id"].nunique()),
            **{name: scores(gold_all, p) for name, p in pooled.items()},
        }
    return result


def format_table(title: str, block: dict) -> str:
    names = [k for k, v in block.items() if isinstance(v, dict) and "micro" in v]
    head = f"{'category':<38}" + "".join(f" | {n:^20}" for n in names)
    sub = f"{'':<38}" + "".join(f" | {'P':>6}{'R':>7}{'F1':>7}" for _ in names)
    lines = [f"## {title}", head, sub, "-" * len(sub)]
    rows = [*CATEGORIES, "micro", "macro"]
    for row in rows:
        cells = []
        for n in names:
            m = block[n]["per_category"][row] if row in CATEGORIES else block[n][row]
            cells.append(f" | {m['precision']:6.3f}{m['recall']:7.3f}{m['f1']:7.3f}")
        lines.append(f"{row:<38}" + "".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="OPP-115 folder")
    parser.add_argument("--folds", type=int, default=5, help="grouped CV folds (0 = skip CV)")
    parser.add_argument("--json", type=Path, help="also write the scores as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    result = evaluate(args.data, args.folds)
    dev = result["dev"]
    print(format_table(f"dev split: {dev['n_policies']} held-out policies", dev))
    if "cv" in result:
        cv = result["cv"]
        print()
        print(format_table(f"grouped {cv['folds']}-fold CV over {cv['n_policies']} policies", cv))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
