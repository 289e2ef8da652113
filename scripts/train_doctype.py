"""Fit the document-type model (pipelines/models/doctype.json) on every labelled page.

    POLICYARCHIVE_DATA=../shared/data .venv/bin/python scripts/train_doctype.py [--cache DIR]

The model is a multinomial logistic regression over the named features of
pipelines/text/doctype.py (standardised); the JSON holds means, scales, weights and
intercepts, applied without scikit-learn at run time. Measure it first with
scripts/eval_detection.py (services held out).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "scripts"):
    if str(p) not in sys.path:  # run as a script from anywhere
        sys.path.insert(0, str(p))

from detection_corpus import LabelledPage, dedupe, load_pages  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.text.doctype import FEATURES, MODEL_PATH, classify_facts_for_training  # noqa: E402

logger = logging.getLogger(__name__)

C = 1.0  # regularisation: chosen by held-out services in scripts/eval_detection.py


def feature_rows(pages: list[LabelledPage]) -> list[list[float] | None]:
    rows: list[list[float] | None] = []
    for p in pages:
        f, gate = classify_facts_for_training(p.text, p.title)
        rows.append(None if gate else [f[name] for name in FEATURES])
    return rows


def fit(x: list[list[float]], y: list[str], c: float = C) -> dict[str, object]:
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    clf.fit(scaler.transform(x), y)
    return {
        "features": list(FEATURES),
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) if v > 0 else 1.0 for v in scaler.scale_],
        "coef": {t: [round(float(w), 6) for w in clf.coef_[i]] for i, t in enumerate(clf.classes_)},
        "intercept": {t: round(float(clf.intercept_[i]), 6) for i, t in enumerate(clf.classes_)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=shared_data_dir())
    ap.add_argument("--cache", type=Path, default=None, help="cache extracted texts here")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args(argv)
    if args.data is None:
        print("shared data not found: set POLICYARCHIVE_DATA", file=sys.stderr)
        return 2
    pages, _ = dedupe(load_pages(args.data, args.cache))
    rows = feature_rows(pages)
    x = [r for r in rows if r is not None]
    y = [p.train_label for p, r in zip(pages, rows, strict=True) if r is not None]
    model = fit(x, y)
    model["trained_on"] = f"{len(x)} pages of {len({p.service for p in pages})} services"
    args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {model['trained_on']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
