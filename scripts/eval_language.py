"""Language identification on the shared data and our own pages: accuracy and speed.

    .venv/bin/python scripts/eval_language.py [--data ../shared/data] [--lingua]

Documents: OPP-115's 95 pages (all English), the 61 real policies and the 90 detection
documents (English, French, German: ``scripts/language_truth.csv`` says which, and how each
was established), and the ten pages in tests/fixtures/lang (one per language, by their
folder). Each is extracted as the pipeline does (HTML or PDF), then identified:

* ``declared``: the page's own ``<html lang>``/meta (what ``language`` was before);
* ``py3langid``: :func:`pipelines.text.language.detect_language` (the bounded sample);
* ``lingua``: lingua-language-detector on the same sample (``--lingua``, when installed);
* ``py3langid_<n>``: py3langid on a sample of ``n`` characters (``--sample-sizes n ...``).

Reported: accuracy on the full sample and on short snippets (200 characters from the middle
of each text: a harder test that separates the identifiers), and milliseconds per document.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.text.extract import ExtractionError, extract  # noqa: E402
from pipelines.text.language import detect_language, language_sample  # noqa: E402
from pipelines.text.pdf import PdfError, extract_pdf, is_pdf  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "scripts" / "language_truth.csv"
FIXTURES = ROOT / "tests" / "fixtures" / "lang"
SNIPPET = 200


def documents(data: Path) -> list[tuple[str, str, Path, str]]:
    """(corpus, name, path, true language) of every document measured."""
    docs: list[tuple[str, str, Path, str]] = []
    for path in sorted((data / "opp115" / "original_html").iterdir()):
        docs.append(("opp115", path.name, path, "en"))
    with TRUTH.open(newline="") as f:
        for row in csv.DictReader(f):
            docs.append(
                (row["corpus"], row["file"], data / row["corpus"] / row["file"], row["language"])
            )
    for site in sorted(FIXTURES.iterdir()):
        code = site.name.split(".")[1].split("-")[0]  # www.de-shop.example -> de
        for path in sorted(p for p in site.rglob("*") if p.is_file() and p.name != "index.html"):
            docs.append(("own_pages", f"{site.name}/{path.relative_to(site)}", path, code))
    return docs


def _text(body: bytes) -> tuple[str, str | None]:
    if is_pdf(body):
        got = extract_pdf(body)
        return got.text, got.language
    ex = extract(body)
    return ex.text, ex.language


def _lingua() -> Callable[[str], str | None] | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    detector = LanguageDetectorBuilder.from_all_languages().build()

    def identify(text: str) -> str | None:
        lang = detector.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang is not None else None

    return identify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--lingua", action="store_true", help="also measure lingua")
    parser.add_argument(
        "--sample-sizes",
        type=int,
        nargs="*",
        default=[],
        help="also measure py3langid with these sample sizes (characters)",
    )
    args = parser.parse_args(argv)
    data = args.data or shared_data_dir()
    if data is None or not (data / "opp115").is_dir():
        print("shared data not found: pass --data or set POLICYARCHIVE_DATA", file=sys.stderr)
        return 2
    identifiers: dict[str, Callable[[str], str | None]] = {"py3langid": detect_language}
    for size in args.sample_sizes:
        identifiers[f"py3langid_{size}"] = lambda text, n=size: detect_language(text, n)
    if args.lingua:
        lingua = _lingua()
        if lingua is None:
            print("lingua-language-detector is not installed", file=sys.stderr)
            return 2
        identifiers["lingua"] = lambda text: lingua(language_sample(text))
    detect_language("warm up the model " * 10)
    for ident in identifiers.values():
        ident("warm up the model " * 10)

    by_corpus: dict[str, dict[str, list[int]]] = {}
    seconds = {name: 0.0 for name in identifiers}
    misses: list[dict[str, str | None]] = []
    skipped: list[str] = []
    for corpus, name, path, truth in documents(data):
        try:
            text, declared = _text(path.read_bytes())
        except (ExtractionError, PdfError) as exc:
            skipped.append(f"{corpus}/{name}: {exc}")
            continue
        mid = len(text) // 2
        snippet = text[mid : mid + SNIPPET]
        stats = by_corpus.setdefault(corpus, {})
        stats.setdefault("declared", []).append(int(declared == truth))
        stats.setdefault("declared_missing", []).append(int(declared is None))
        for ident_name, ident in identifiers.items():
            start = time.perf_counter()
            got = ident(text)
            seconds[ident_name] += time.perf_counter() - start
            stats.setdefault(ident_name, []).append(int(got == truth))
            if ident_name in ("py3langid", "lingua"):  # the sample size does not matter here
                stats.setdefault(f"{ident_name}_snippet", []).append(int(ident(snippet) == truth))
            if got != truth:
                misses.append(
                    {"doc": f"{corpus}/{name}", "by": ident_name, "got": got, "truth": truth}
                )
    total_docs = sum(len(s["declared"]) for s in by_corpus.values())
    report = {
        "documents": total_docs,
        "skipped": skipped,
        "accuracy": {
            corpus: {k: f"{sum(v)}/{len(v)}" for k, v in stats.items()}
            for corpus, stats in by_corpus.items()
        },
        "ms_per_document": {k: round(1000 * v / total_docs, 2) for k, v in seconds.items()},
        "misses": misses,
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
