"""Measure extraction word recall/precision on OPP-115 pages against their segment text.

    .venv/bin/python scripts/eval_extraction.py [--data DIR] [--json PATH] [--settings a,b]

The reference for a policy is its OPP-115 segments concatenated. Recall = share of
reference word tokens (multiset) found in the extraction; precision = share of extracted
tokens found in the reference. Markdown link targets are stripped before tokenising.
Also reports words extracted from the real policies in real_policies/index.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pipelines.text.extract import ExtractionError, ExtractOptions, extract  # noqa: E402
from pipelines.text.textmetrics import score  # noqa: E402

logger = logging.getLogger(__name__)

Extractor = Callable[[bytes, str | None], str]


def _plain(**kwargs: bool) -> Extractor:
    """trafilatura alone, markdown output, with the given settings."""

    def run(body: bytes, url: str | None) -> str:
        return trafilatura.extract(body, url=url, output_format="markdown", **kwargs) or ""

    return run


def _ours(options: ExtractOptions) -> Extractor:
    def run(body: bytes, url: str | None) -> str:
        try:
            return extract(body, url=url, options=options).text
        except ExtractionError:
            return ""

    return run


NO_FALLBACK = ExtractOptions(fallback=False)
NO_RESCUE = ExtractOptions(rescue_pruned=False, fallback=False)

SETTINGS: dict[str, Extractor] = {
    "trafilatura_defaults": _plain(),
    "favor_recall": _plain(favor_recall=True),
    "favor_precision": _plain(favor_precision=True),
    "recall+links+fmt": _plain(favor_recall=True, include_links=True, include_formatting=True),
    "chosen-rescue-fallback": _ours(NO_RESCUE),
    "chosen-fallback": _ours(NO_FALLBACK),
    "chosen": _ours(ExtractOptions()),
}


@dataclass
class PageResult:
    page: str
    recall: float
    precision: float
    ref_words: int
    out_words: int


def data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    if env := os.environ.get("POLICYARCHIVE_DATA"):
        return Path(env)
    return ROOT.parent / "shared" / "data"


def references(opp115: Path) -> dict[int, str]:
    """policy_id -> its segments concatenated in order."""
    segs: dict[int, list[tuple[int, str]]] = {}
    with (opp115 / "segments.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            segs.setdefault(int(row["policy_id"]), []).append(
                (int(row["segment_id"]), row["segment_text"])
            )
    return {pid: "\n".join(t for _, t in sorted(rows)) for pid, rows in segs.items()}


def opp115_pages(opp115: Path) -> tuple[list[Path], list[Path]]:
    """(HTML pages, excluded non-HTML files such as the one PDF)."""
    files = sorted((opp115 / "original_html").iterdir())
    html = [f for f in files if f.suffix.lower() in (".html", ".htm")]
    return html, [f for f in files if f not in html]


def evaluate(run: Extractor, pages: list[Path], refs: dict[int, str]) -> list[PageResult]:
    results = []
    for page in pages:
        pid = int(page.name.split("_", 1)[0])
        s = score(run(page.read_bytes(), None), refs[pid])
        results.append(PageResult(page.name, s.recall, s.precision, s.ref_words, s.out_words))
    return results


def summary(results: list[PageResult]) -> dict[str, float]:
    return {
        "mean_recall": statistics.mean(r.recall for r in results),
        "min_recall": min(r.recall for r in results),
        "mean_precision": statistics.mean(r.precision for r in results),
        "min_precision": min(r.precision for r in results),
        "pages_recall_below_0.85": sum(r.recall < 0.85 for r in results),
    }


def real_policy_words(real: Path) -> list[tuple[str, str, int | str]]:
    """(site, file, words extracted or the error reason) for real_policies/index.csv."""
    rows = []
    with (real / "index.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            body = (real / row["file"]).read_bytes()
            try:
                text = extract(body, url=row["url"]).text
                rows.append((row["site"], row["file"], score(text, text).out_words))
            except ExtractionError as exc:
                rows.append((row["site"], row["file"], exc.reason))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="shared data dir (default $POLICYARCHIVE_DATA)")
    parser.add_argument("--json", help="write results to this JSON file")
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help=f"comma list of {', '.join(SETTINGS)}"
    )
    parser.add_argument("--no-real", action="store_true", help="skip real_policies check")
    args = parser.parse_args(argv)
    data = data_dir(args.data)
    opp115 = data / "opp115"
    if not opp115.is_dir():
        print(f"OPP-115 not found under {data}", file=sys.stderr)
        return 2
    refs = references(opp115)
    pages, excluded = opp115_pages(opp115)
    names = [n for n in args.settings.split(",") if n]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings: {unknown}")

    per_setting: dict[str, list[PageResult]] = {}
    for name in names:
        t0 = time.perf_counter()
        per_setting[name] = evaluate(SETTINGS[name], pages, refs)
        print(f"# {name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    header = f"{'page':<40}" + "".join(f" {n[:22]:>22}" for n in names)
    print("recall / precision per page")
    print(header)
    for i, page in enumerate(pages):
        cells = "".join(
            f" {per_setting[n][i].recall:>10.3f} /{per_setting[n][i].precision:>6.3f}    "
            for n in names
        )
        print(f"{page.name[:40]:<40}{cells}")
    for f in excluded:
        print(f"{f.name[:40]:<40} excluded: not HTML (a PDF: extract() says not_html)")
    print()
    summaries = {n: summary(per_setting[n]) for n in names}
    print(
        f"{'setting':<24} {'mean recall':>11} {'min recall':>10} {'mean prec':>9} "
        f"{'min prec':>8} {'<0.85':>5}"
    )
    for n, s in summaries.items():
        print(
            f"{n:<24} {s['mean_recall']:>11.4f} {s['min_recall']:>10.3f} "
            f"{s['mean_precision']:>9.4f} {s['min_precision']:>8.3f} "
            f"{s['pages_recall_below_0.85']:>5}"
        )
    print(f"({len(pages)} HTML pages; excluded from means: {[f.name for f in excluded]})")

    real_rows: list[tuple[str, str, int | str]] = []
    real = data / "real_policies"
    if not args.no_real and (real / "index.csv").is_file():
        real_rows = real_policy_words(real)
        print("\nreal policies: words extracted (chosen settings)")
        for site, file, words in real_rows:
            print(f"  {site:<28} {words!s:>8}  {file}")

    if args.json:
        payload = {
            "summary": summaries,
            "pages": {n: [asdict(r) for r in rs] for n, rs in per_setting.items()},
            "excluded": [f.name for f in excluded],
            "real_policies": [{"site": s, "file": f, "words": w} for s, f, w in real_rows],
        }
        Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
