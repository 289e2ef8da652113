"""Measure rule-based ``data_types`` against OPP-115 "Personal Information Type" annotations.

Segment level: a segment's gold set is the Personal Information Type values that at least
two of its three annotators gave (``majority``), or that any annotator gave (``any``);
"Unspecified", "Other" and "not-selected" are left out. Also counts the laws detected, as a
sanity check of the law lexicon.

    .venv/bin/python scripts/eval_attributes.py [--data ../shared/data] [--json out.json]
        [--markdown table.md]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.text.attributes import DATA_TYPES, extract_attributes

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
IGNORED = {"Unspecified", "Other", "not-selected", ""}
TYPES = [value for value, _ in DATA_TYPES]
# annotations/*.csv columns (no header). Their policy_id column is the annotation tool's id,
# not the corpus's: policies are joined through the file name (segments.csv policy_file).
ANNOTATOR, SEGMENT, ATTRIBUTES = 2, 4, 6


def canonical_type(value: str) -> str:
    """The corpus spells one value two ways ("User Profile" and "User profile")."""
    return "User profile" if value.lower() == "user profile" else value


def load_gold(annotations_dir: Path) -> dict[tuple[str, int], Counter[str]]:
    """(policy_file, segment_id) -> how many distinct annotators gave each value."""
    votes: dict[tuple[str, int], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(annotations_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                attrs = json.loads(row[ATTRIBUTES])
                pit = attrs.get("Personal Information Type")
                if not pit:
                    continue
                value = canonical_type(str(pit.get("value", "")))
                if value in IGNORED:
                    continue
                key = (path.stem, int(row[SEGMENT]))
                votes[key][value].add(row[ANNOTATOR])
    return {key: Counter({v: len(a) for v, a in vals.items()}) for key, vals in votes.items()}


@dataclass
class Segment:
    policy_file: str
    segment_id: int
    split: str
    text: str


def load_segments(path: Path) -> list[Segment]:
    csv.field_size_limit(10_000_000)
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Segment(r["policy_file"].strip(), int(r["segment_id"]), r["split"], r["segment_text"])
            for r in csv.DictReader(f)
        ]


@dataclass
class Counts:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, predicted: set[str], gold: set[str]) -> None:
        for t in predicted & gold:
            self.tp[t] += 1
        for t in predicted - gold:
            self.fp[t] += 1
        for t in gold - predicted:
            self.fn[t] += 1


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": tp + fn, "predicted": tp + fp}


def report(counts: Counts) -> dict[str, dict[str, float | int]]:
    rows = {t: prf(counts.tp[t], counts.fp[t], counts.fn[t]) for t in TYPES}
    rows["micro"] = prf(sum(counts.tp.values()), sum(counts.fp.values()), sum(counts.fn.values()))
    return rows


def markdown_table(title: str, rows: dict[str, dict[str, float | int]]) -> str:
    lines = [
        f"**{title}**",
        "",
        "| type | precision | recall | F1 | gold | predicted |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        label = f"**{name}**" if name == "micro" else name
        lines.append(
            f"| {label} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
            f"{r['support']} | {r['predicted']} |"
        )
    return "\n".join(lines)


def evaluate(data: Path) -> dict[str, object]:
    """Scores per gold definition ("majority", "any") and split ("all", "dev"), law counts."""
    opp = data / "opp115"
    gold = load_gold(opp / "annotations")
    segments = load_segments(opp / "segments.csv")
    counts = {(g, s): Counts() for g in ("majority", "any") for s in ("all", "dev")}
    laws: Counter[str] = Counter()
    started = time.perf_counter()
    for seg in segments:
        attrs = extract_attributes(seg.text)
        predicted = set(attrs.data_types)
        votes = gold.get((seg.policy_file, seg.segment_id), Counter())
        gold_sets = {
            "majority": {v for v, n in votes.items() if n >= 2},
            "any": set(votes),
        }
        for g, gold_set in gold_sets.items():
            counts[(g, "all")].add(predicted, gold_set)
            if seg.split == "dev":
                counts[(g, "dev")].add(predicted, gold_set)
        laws.update(attrs.laws)
    elapsed = time.perf_counter() - started
    return {
        "segments": len(segments),
        "dev_segments": sum(s.split == "dev" for s in segments),
        "segments_per_second": len(segments) / elapsed if elapsed else 0.0,
        "scores": {f"{g}/{s}": report(c) for (g, s), c in counts.items()},
        "laws": dict(laws.most_common()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, help="write all numbers to this JSON file")
    parser.add_argument("--markdown", type=Path, help="write the tables to this markdown file")
    args = parser.parse_args(argv)
    if not (args.data / "opp115" / "segments.csv").is_file():
        print(f"OPP-115 not found under {args.data}", file=sys.stderr)
        return 2
    result = evaluate(args.data)
    tables = [
        f"{result['segments']} segments ({result['dev_segments']} in the dev split), "
        f"{result['segments_per_second']:.0f} segments/s (all attributes).",
    ]
    for key, rows in result["scores"].items():  # type: ignore[union-attr]
        gold_kind, split = key.split("/")
        title = f"gold = {gold_kind} of annotators, split = {split}"
        tables.append(markdown_table(title, rows))
    law_lines = ["**laws detected (segments)**", "", "| law | segments |", "|---|---:|"]
    law_lines += [f"| {k} | {v} |" for k, v in result["laws"].items()]  # type: ignore[union-attr]
    tables.append("\n".join(law_lines))
    text = "\n\n".join(tables) + "\n"
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
