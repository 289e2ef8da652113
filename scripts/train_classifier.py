"""Train the OPP-115 clause category classifier on the train split and write the shipped model.

    .venv/bin/python scripts/train_classifier.py [--data ../shared/data/opp115] [--out PATH]

Only policies whose split is ``train`` are read, both their segments and their span
annotations. The same data gives a byte-identical model file (sorted vocabularies,
deterministic solvers and folds, fixed zip timestamps); the sha256 is printed.

Recipe (pipelines/text/classify.py describes the model):
1. sentence labels: a sentence of a segment is positive for a category when the segment's
   gold (majority) labels hold it and at least one annotator highlighted text of that
   category inside the sentence;
2. out-of-fold base outputs on the training policies (grouped 5-fold by policy), from which
   the stackers learn; 3. the base models refitted on all training policies; 4. the lexicon:
   which terms of the refitted clause model's vocabulary fall in which keyword group
   (``LEXICON``), whose counts the stackers read beside the base logits.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from pipelines.storage.schemas import CATEGORIES
from pipelines.text.classify import (
    LEXICON_GROUPS,
    N_CATEGORIES,
    NGRAM_RANGE,
    STACKERS,
    ClauseClassifier,
    ClauseInput,
    LinearText,
    Stacker,
    clause_inputs_from_document,
    default_model_path,
    infer_heading_paths,
    logit,
    relative_position,
    split_sentences,
    stack_features,
)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows L2-normalised (TfidfVectorizer's sublinear_tf=True)."""
    x = counts.tocsr().astype(np.float64)
    x.data = 1.0 + np.log(x.data)
    x = x @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "opp115"


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters, fixed before evaluation (see docs/classifier.md)."""

    C: float = 10.0  # base models, with balanced class weights
    min_df: int = 2
    max_df: float = 0.9
    stack_C: float = 0.03  # stackers, unweighted
    folds: int = 5  # grouped folds for the out-of-fold base outputs
    top_floor: float = 0.2


# Keyword groups of the stackers' lexicon features. A pattern is matched against each term of
# the clause model's vocabulary (lowercase words of 2+ characters and word pairs joined by a
# space): a unigram belongs to a group when the pattern matches in it, a word pair only when
# the match spans both words. Group "length" (every unigram) is added by lexicon_matrix.
LEXICON: dict[str, str] = {
    "retention": r"\bretain|\bretention|\bkeep (?:your|the|this|such|personal)"
    r"|\bstore[sd]? (?:your|the|this)|long as|period of|\bdays?\b|\bmonths?\b|\byears?\b"
    r"|longer (?:need|necessary|required)",
    "deletion": r"\bdelet|\berase|\bremov|\bdestroy|anonymi",
    "do_not_track": r"not track|\bdnt\b",
    "children": r"\bchild|\bchildren|\bkids?\b|\bcoppa\b|under 1[368]|age of|\bminors?\b|\bparent",
    "international": r"\beurope|\beu\b|\beea\b|swiss|switzerland|safe harbor|privacy shield"
    r"|\bcalifornia|shine the|\binternational|outside the|outside your|transferred to",
    "security": r"\bsecur|\bencrypt|\bssl\b|\btls\b|firewall|safeguard|unauthori[sz]ed access"
    r"|\bprotect",
    "change": r"\bchang|\bmodif|\bamend|\bupdat|\brevis",
    "notice": r"\bnotif|\bpost(?:ed|ing)? (?:the|a|any|on)|effective date|last updated"
    r"|\bcontinued use",
    "access": r"\baccess\b|\bcorrect|\bedit\b|\bupdate your|\breview (?:your|and)|\bmodify your",
    "account": r"\baccount settings|\byour account|\bprofile",
    "choice": r"opt[- ]?out|opt[- ]?in|unsubscribe|\bchoose\b|\bchoice|\bconsent|\bdisable"
    r"|browser settings",
    "third_party": r"third[- ]part|\bshare|\bdisclos|\bsell|\brent|\baffiliat|\bpartners?\b"
    r"|advertis|service providers?",
    "collection": r"\bcollect|\bwe (?:use|receive|obtain|gather)|\bcookies?\b|ip address"
    r"|\blog (?:files?|data)|\bpersonal information",
    "legal": r"\blaw|\blegal|\bsubpoena|\bcourt|\bcomply|\bmerger|\bacquisition|\bbankrupt",
    "contact": r"contact us|\bemail us|\bquestions?\b|\bcomments?\b|\baddress\b",
    "scope": r"this (?:privacy )?policy|\bapplies\b|\bdescribes\b|\bterms of (?:use|service)"
    r"|\bagree",
}
assert (*LEXICON, "length") == LEXICON_GROUPS


def lexicon_matrix(vocabulary: Sequence[str]) -> np.ndarray:
    """0/1 matrix (n_terms, N_LEXICON): which vocabulary terms count for which group."""
    out = np.zeros((len(vocabulary), len(LEXICON_GROUPS)), dtype=np.uint8)
    patterns = [re.compile(p, re.IGNORECASE) for p in LEXICON.values()]
    for t, term in enumerate(vocabulary):
        space = term.find(" ")
        if space < 0:
            out[t, -1] = 1
        for g, pattern in enumerate(patterns):
            if any(space < 0 or m.start() < space < m.end() for m in pattern.finditer(term)):
                out[t, g] = 1
    return out


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


def highlighted_spans(data_dir: Path, df: pd.DataFrame) -> dict[int, list[tuple[int, str]]]:
    """Row of ``df`` -> (category index, highlighted text) of every annotation on that segment."""
    index = {c: i for i, c in enumerate(CATEGORIES)}
    rows = {
        (f, int(s)): r
        for r, (f, s) in enumerate(zip(df["policy_file"], df["segment_id"], strict=True))
    }
    out: dict[int, list[tuple[int, str]]] = {}
    for name in sorted(df["policy_file"].unique()):
        path = data_dir / "annotations" / f"{name}.csv"
        if not path.is_file():
            logger.warning("no annotation file for %s", name)
            continue
        ann = pd.read_csv(path, header=None, dtype=str)
        for seg, cat, blob in zip(ann[4], ann[5], ann[6], strict=True):
            row = rows.get((name, int(seg)))
            if row is None or cat not in index:
                continue
            for v in json.loads(blob).values():
                if isinstance(v, dict) and v.get("startIndexInSegment", -1) >= 0:
                    text = (v.get("selectedText") or "").strip()
                    if text and text != "null":
                        out.setdefault(row, []).append((index[cat], text))
    return out


def sentence_table(
    texts: Sequence[str], gold: np.ndarray, spans: dict[int, list[tuple[int, str]]] | None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sentences, their segment row and their labels (see the module docstring).

    Without span annotations every sentence takes its segment's labels.
    """
    sentences: list[str] = []
    owners: list[int] = []
    labels: list[np.ndarray] = []
    for row, text in enumerate(texts):
        cuts = split_sentences(text)
        hit = np.zeros((len(cuts), N_CATEGORIES), dtype=np.int8)
        if spans is None:
            hit[:] = gold[row]
        for k, span in (spans or {}).get(row, []):
            # Offsets in the annotations count HTML; locate the text itself instead.
            a = text.find(span)
            if a < 0:
                a = text.find(span[:40])
            if a < 0:
                continue
            b = a + len(span)
            for j, (s, e) in enumerate(cuts):
                if s < b and e > a:
                    hit[j, k] = 1
        hit &= gold[row].astype(np.int8)
        for j, (s, e) in enumerate(cuts):
            sentences.append(text[s:e])
            owners.append(row)
            labels.append(hit[j])
    return (
        sentences,
        np.asarray(owners, dtype=np.int64),
        np.asarray(labels).reshape(-1, N_CATEGORIES),
    )


# -- fitting ---------------------------------------------------------------------------------


def fit_linear_text(texts: Sequence[str], y: np.ndarray, cfg: TrainConfig) -> LinearText:
    """Vocabulary, smooth idf (as TfidfVectorizer), a balanced logistic regression per label."""
    cv = CountVectorizer(ngram_range=NGRAM_RANGE, min_df=cfg.min_df, max_df=cfg.max_df)
    try:
        cv.fit(texts)
        vocab = [str(t) for t in cv.get_feature_names_out()]  # sorted
    except ValueError:  # no term survives the document-frequency limits
        vocab = []
    counts = (
        CountVectorizer(vocabulary=vocab, ngram_range=NGRAM_RANGE).transform(texts)
        if vocab
        else None
    )
    df = np.asarray((counts > 0).sum(axis=0)).ravel() if counts is not None else np.zeros(0)
    idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
    coef = np.zeros((len(vocab), N_CATEGORIES), dtype=np.float32)
    intercept = np.zeros(N_CATEGORIES, dtype=np.float32)
    x = tfidf(counts, idf) if counts is not None else None
    for k in range(N_CATEGORIES):
        yk = y[:, k].astype(np.int64)
        if x is None or yk.min() == yk.max():
            intercept[k] = 10.0 if yk.size and yk[0] else -10.0
            continue
        lr = LogisticRegression(
            C=cfg.C, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=0
        )
        lr.fit(x, yk)
        coef[:, k] = lr.coef_[0]
        intercept[k] = lr.intercept_[0]
    return LinearText(vocabulary=vocab, idf=idf, coef=coef, intercept=intercept)


def fit_bases(
    texts: Sequence[str],
    gold: np.ndarray,
    sentences: tuple[list[str], np.ndarray, np.ndarray],
    rows: np.ndarray,
    cfg: TrainConfig,
) -> dict[str, LinearText]:
    """Clause and sentence base models on the given segment rows."""
    sents, owners, sent_y = sentences
    keep = np.isin(owners, rows)
    return {
        "clause": fit_linear_text([texts[i] for i in rows], gold[rows], cfg),
        "sentence": fit_linear_text(
            [s for s, k in zip(sents, keep, strict=True) if k], sent_y[keep], cfg
        ),
    }


def fit_stacker(x: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> Stacker:
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    coef = np.zeros((x.shape[1], N_CATEGORIES))
    intercept = np.zeros(N_CATEGORIES)
    for k in range(N_CATEGORIES):
        yk = y[:, k].astype(np.int64)
        if yk.min() == yk.max():
            intercept[k] = 10.0 if yk[0] else -10.0
            continue
        lr = LogisticRegression(C=cfg.stack_C, max_iter=2000).fit(z, yk)
        coef[:, k] = lr.coef_[0]
        intercept[k] = lr.intercept_[0]
    return Stacker(mean=mean, scale=scale, coef=coef, intercept=intercept)


def fit_classifier(
    inputs: Sequence[ClauseInput],
    gold: np.ndarray,
    groups: Sequence[int] | None = None,
    spans: dict[int, list[tuple[int, str]]] | None = None,
    config: TrainConfig | None = None,
    meta: dict | None = None,
) -> ClauseClassifier:
    """Fit the two-stage model on clauses in document order.

    ``groups`` (e.g. policy ids) keep a document's clauses in one fold; ``spans`` maps a row
    to its highlighted (category, text) annotations for the sentence labels.
    """
    cfg = config or TrainConfig()
    texts = [c.text for c in inputs]
    n = len(texts)
    groups_a = np.asarray(groups if groups is not None else np.arange(n))
    sentences = sentence_table(texts, gold, spans)
    clause_p = np.zeros((n, N_CATEGORIES))
    sent_max = np.zeros((n, N_CATEGORIES))
    sent_mean = np.zeros((n, N_CATEGORIES))
    folds = min(cfg.folds, len(np.unique(groups_a)))
    for tr, te in GroupKFold(n_splits=folds).split(texts, groups=groups_a):
        fold = ClauseClassifier.__new__(ClauseClassifier)
        fold.bases = fit_bases(texts, gold, sentences, tr, cfg)
        part = [texts[i] for i in te]
        clause_p[te], sent_max[te], sent_mean[te], _ = ClauseClassifier.base_outputs(fold, part)
    # Neighbours as the pipeline gives them: the previous and next clause of the same document.
    clause_l = logit(clause_p)
    prev_l = np.zeros_like(clause_l)
    next_l = np.zeros_like(clause_l)
    for i, c in enumerate(inputs):
        if c.position > 0 and i > 0:
            prev_l[i] = clause_l[i - 1]
        if c.position + 1 < c.total and i + 1 < n:
            next_l[i] = clause_l[i + 1]
    rel = np.array([relative_position(c.position, c.total) for c in inputs])
    # The base models on all training clauses; the lexicon over their clause vocabulary.
    bases = fit_bases(texts, gold, sentences, np.arange(n), cfg)
    clause = bases["clause"]
    bases["clause"] = dataclasses.replace(clause, lexicon=lexicon_matrix(clause.vocabulary))
    lex = bases["clause"].predict_proba_lexicon(texts)[1]
    features = {
        "text": stack_features(clause_p, sent_max, sent_mean, lex=lex),
        "context": stack_features(clause_p, sent_max, sent_mean, prev_l, next_l, rel, lex=lex),
    }
    stackers = {s: fit_stacker(features[s], gold, cfg) for s in STACKERS}
    return ClauseClassifier(
        bases,
        stackers,
        top_floor=cfg.top_floor,
        meta={"config": asdict(cfg), "lexicon": LEXICON, **(meta or {})},
    )


def train_on_policies(
    df: pd.DataFrame, data_dir: Path, config: TrainConfig | None = None, with_spans: bool = True
) -> ClauseClassifier:
    """Fit on exactly the policies present in ``df`` (segments and their span annotations)."""
    df = df.sort_values(["policy_id", "segment_id"], kind="stable").reset_index(drop=True)
    policy_ids = sorted(int(p) for p in df["policy_id"].unique())
    spans = highlighted_spans(data_dir, df) if with_spans else None
    return fit_classifier(
        clause_inputs(df),
        gold_matrix(df["majority_categories"].tolist()),
        groups=df["policy_id"].tolist(),
        spans=spans,
        config=config,
        meta={
            "training_data": "OPP-115 (Wilson et al., ACL 2016), segments.csv and annotations/",
            "training_policy_ids": policy_ids,
            "n_training_segments": len(df),
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
