"""Measure ``stated_date`` against hand labels: exact-match rate and invented-date rate.

    POLICYARCHIVE_DATA=/path/to/shared/data .venv/bin/python scripts/eval_stated_dates.py \
        [--split dev|heldout|all] [--json PATH] [--ota-versions GIT_DIR]

Labels: tests/fixtures/stated_dates.csv (file under the data folder, capture date, split,
expected date or empty when the text states none, kind, note; ``SKIP`` rows are not
scored). Each page is extracted with pipelines/text/extract.py, as the crawl does, and
``find_stated_date`` gets the extracted text, the capture date and the page's language.

* exact: share of pages that state a date where the date found is that date;
* invented: share of pages that state none where a date was found anyway;
* kind: share of exact matches whose kind matches the label too.
Every miss is printed with what was found and the text it was read from.

``--ota-versions GIT_DIR`` also scores fresh samples, each labelled blind before the finder
was run on it: privacy policies of Open Terms Archive's public ``contrib-versions``
repository (a clone or bare mirror; labels in tests/fixtures/stated_dates_ota_versions*.csv).
Those texts are Open Terms Archive's own markdown of each page, read at the repository's
HEAD; the capture date is the date of the file's last commit; the language is detected from
the text.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.text.extract import ExtractionError, extract  # noqa: E402
from pipelines.text.stated_date import find_stated_date  # noqa: E402

logger = logging.getLogger(__name__)
LABELS = ROOT / "tests" / "fixtures" / "stated_dates.csv"
# fresh samples, each labelled blind and run once before any fix it led to
OTA_SAMPLES = {
    "ota_versions": ROOT / "tests" / "fixtures" / "stated_dates_ota_versions.csv",
    "ota_versions_2": ROOT / "tests" / "fixtures" / "stated_dates_ota_versions_2.csv",
    "ota_versions_3": ROOT / "tests" / "fixtures" / "stated_dates_ota_versions_3.csv",
}


@dataclass
class Result:
    split: str
    stated: int = 0
    exact: int = 0
    kind_ok: int = 0
    unstated: int = 0
    invented: int = 0
    misses: list[dict[str, str]] = field(default_factory=list)

    @property
    def exact_rate(self) -> float:
        return self.exact / self.stated if self.stated else 0.0

    @property
    def invented_rate(self) -> float:
        return self.invented / self.unstated if self.unstated else 0.0


def load_labels(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["expected"] != "SKIP"]


def evaluate(data: Path, rows: list[dict[str, str]], split: str) -> Result:
    res = Result(split)
    for row in rows:
        if split != "all" and row["split"] != split:
            continue
        path = data / row["file"]
        try:
            ex = extract(path.read_bytes())
        except ExtractionError as exc:
            logger.warning("%s: %s", row["file"], exc)
            continue
        found = find_stated_date(ex.text, date.fromisoformat(row["captured_at"]), ex.language)
        _score(res, row, found, report_kind=True)
    return res


def evaluate_ota_versions(repo: Path, name: str = "ota_versions") -> Result:
    """A fresh sample: texts from a contrib-versions git directory (see the module doc)."""
    import subprocess

    from pipelines.text.language import detect_language

    res = Result(name)
    with OTA_SAMPLES[name].open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["expected"] != "SKIP"]
    for row in rows:
        text = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{row['file']}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found = find_stated_date(
            text, date.fromisoformat(row["captured_at"]), detect_language(text)
        )
        _score(res, row, found)
    return res


def _score(res: Result, row: dict[str, str], found: Any, report_kind: bool = False) -> None:
    """Count one page; a miss (or, with ``report_kind``, a kind that differs) is kept."""
    got = found.date.isoformat() if found else ""
    kind = found.kind if found else ""
    miss = {
        "file": row["file"],
        "expected": row["expected"],
        "kind": row["kind"],
        "found": got,
        "found_kind": kind,
        "span": found.span if found else "",
    }
    if row["expected"]:
        res.stated += 1
        if got == row["expected"]:
            res.exact += 1
            res.kind_ok += kind == row["kind"]
            if report_kind and kind != row["kind"]:
                res.misses.append(miss | {"note": "kind differs"})
        else:
            res.misses.append(miss)
    else:
        res.unstated += 1
        if found:
            res.invented += 1
            res.misses.append(miss)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="all", choices=["dev", "heldout", "all"])
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ap.add_argument("--ota-versions", type=Path, help="a contrib-versions git directory")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its link warnings drown ours
    data = shared_data_dir()
    if data is None:
        print("real-world corpora not found: set POLICYARCHIVE_DATA", file=sys.stderr)
        return 2
    rows = load_labels()
    splits = ["dev", "heldout"] if args.split == "all" else [args.split]
    out = {}
    results = [evaluate(data, rows, split) for split in splits]
    if args.ota_versions:
        results += [evaluate_ota_versions(args.ota_versions, name) for name in OTA_SAMPLES]
    for res in results:
        split = res.split
        print(
            f"{split}: exact {res.exact}/{res.stated} = {res.exact_rate:.1%}  "
            f"invented {res.invented}/{res.unstated} = {res.invented_rate:.1%}  "
            f"kind {res.kind_ok}/{res.exact}"
        )
        for m in res.misses:
            print(
                f"  MISS {m['file']}: expected {m['expected'] or '-'} {m['kind']}, "
                f"found {m['found'] or '-'} {m['found_kind']} {m.get('note', '')} [{m['span']}]"
            )
        out[split] = {k: v for k, v in asdict(res).items()} | {
            "exact_rate": res.exact_rate,
            "invented_rate": res.invented_rate,
        }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
