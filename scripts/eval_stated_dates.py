"""Measure ``stated_date`` against hand labels: exact-match rate and invented-date rate.

    POLICYARCHIVE_DATA=/path/to/shared/data .venv/bin/python scripts/eval_stated_dates.py \
        [--split dev|heldout|all] [--json PATH]

Labels: tests/fixtures/stated_dates.csv (file under the data folder, capture date, split,
expected date or empty when the text states none, kind, note; ``SKIP`` rows are not
scored). Each page is extracted with pipelines/text/extract.py, as the crawl does, and
``find_stated_date`` gets the extracted text, the capture date and the page's language.

* exact: share of pages that state a date where the date found is that date;
* invented: share of pages that state none where a date was found anyway;
* kind: share of exact matches whose kind matches the label too.
Every miss is printed with what was found and the text it was read from.
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

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pipelines.datadir import shared_data_dir  # noqa: E402
from pipelines.text.extract import ExtractionError, extract  # noqa: E402
from pipelines.text.stated_date import find_stated_date  # noqa: E402

logger = logging.getLogger(__name__)
LABELS = ROOT / "tests" / "fixtures" / "stated_dates.csv"


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
        got = found.date.isoformat() if found else ""
        miss = {
            "file": row["file"],
            "expected": row["expected"],
            "kind": row["kind"],
            "found": got,
            "found_kind": found.kind if found else "",
            "span": found.span if found else "",
        }
        if row["expected"]:
            res.stated += 1
            if got == row["expected"]:
                res.exact += 1
                res.kind_ok += found is not None and found.kind == row["kind"]
                if found is not None and found.kind != row["kind"]:
                    miss["note"] = "kind differs"
                    res.misses.append(miss)
            else:
                res.misses.append(miss)
        else:
            res.unstated += 1
            if found:
                res.invented += 1
                res.misses.append(miss)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="all", choices=["dev", "heldout", "all"])
    ap.add_argument("--json", type=Path, help="also write the numbers here")
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
    for split in splits:
        res = evaluate(data, rows, split)
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
