"""The labelled pages for measuring document types, from the shared data (read in place).

* ``policy_detection/``: Open Terms Archive's hard negatives (terms, imprints, processor
  agreements, acceptable-use rules, ...) and trackers (cookie) policies of 28 services;
* ``real_policies/``: 61 current privacy policies (Hily's file is a captcha page: left out);
* OPP-115's 95 policy pages (the one PDF is left out here: the PDF path measures it).

Every page is extracted with the project's own extraction and judged by its content alone:
the URL given to extraction is neutral (``https://example.org/doc``). Pages are grouped by
service (case and accents folded), so that cross-validation never sees one service on both
sides.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.text.extract import ExtractionError, extract

logger = logging.getLogger(__name__)

NEUTRAL_URL = "https://example.org/doc"

# Open Terms Archive's document names -> our types. Processor terms that OTA files under
# "Terms of Service" (an anchor in the name says which) are processor agreements.
_OTHER_LEGAL_ANCHORS = re.compile(r"processor|data_security|subprocessor|policy$")
_TYPE_OF_DOCUMENT = {
    "Terms of Service": "terms",
    "Commercial Terms": "terms",
    "Developer Terms": "terms",
    "Imprint": "imprint",
    "Trackers Policy": "cookie_policy",
}


@dataclass
class LabelledPage:
    key: str  # where it came from, e.g. "negative/…html"
    service: str  # the group for cross-validation
    label: str  # one of pipelines.text.doctype.TYPES
    document: str  # what the source calls it
    text: str  # extracted markdown ("" when extraction found nothing)
    title: str | None
    note: str = ""  # why extraction found nothing, if it did not
    train_label: str = ""  # what the model learns (label, or a finer kind of it)


def service_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[^a-z0-9]+", "", "".join(c for c in decomposed if c.isascii()))


def label_of(document: str, kind: str) -> str:
    return training_label(document, kind).split("/")[0]


def training_label(document: str, kind: str) -> str:
    """The label the model learns: other legal texts split into processor agreements
    ("other_legal/processor") and the rest, so that each is one kind of text for a linear
    model; both are reported as other_legal."""
    if kind == "trackers":
        return "cookie_policy"
    name, _, anchor = document.partition(" #")
    if name == "Data Processor Agreement" or re.search(r"processor|data_security", anchor):
        return "other_legal/processor"
    if _OTHER_LEGAL_ANCHORS.search(anchor):
        return "other_legal"
    return _TYPE_OF_DOCUMENT.get(name, "other_legal")


def _raw_pages(data: Path) -> Iterator[tuple[str, str, str, str, Path]]:
    """(key, service, training label, document, file) for every labelled page."""
    det = data / "policy_detection"
    with open(det / "index.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            label = training_label(row["document"], row["kind"])
            yield row["file"], row["service"], label, row["document"], det / row["file"]
    real = data / "real_policies"
    with open(real / "index.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if "captcha" in row.get("url_note", ""):
                continue  # not a policy (the data's README says so)
            path = real / row["file"]
            yield row["file"], row["site"], "privacy_policy", row["document"], path
    for path in sorted((data / "opp115" / "original_html").iterdir()):
        if path.suffix.lower() == ".pdf":
            continue
        service = path.stem.split("_", 1)[1].removeprefix("www.")
        yield f"opp115/{path.name}", service, "privacy_policy", "OPP-115 policy", path


def _extract(path: Path) -> tuple[str, str | None, str]:
    try:
        ex = extract(path.read_bytes(), url=NEUTRAL_URL)
    except ExtractionError as exc:
        return "", None, exc.reason
    return ex.text, ex.title, ""


def load_pages(data: Path, cache: Path | None = None) -> list[LabelledPage]:
    """Every labelled page, extracted (cached in ``cache`` by file digest when given)."""
    pages = []
    for key, service, label, document, path in _raw_pages(data):
        text = title = note = None
        cached = None
        if cache is not None:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
            cached = cache / f"{digest}.json"
            if cached.exists():
                d = json.loads(cached.read_text(encoding="utf-8"))
                text, title, note = d["text"], d["title"], d["note"]
        if text is None:
            text, title, note = _extract(path)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(
                    json.dumps({"text": text, "title": title, "note": note}), encoding="utf-8"
                )
        pages.append(
            LabelledPage(
                key,
                service_key(service),
                label.split("/")[0],
                document,
                text,
                title,
                note or "",
                label,
            )
        )
    return pages


def dump(pages: list[LabelledPage]) -> list[dict[str, object]]:
    return [asdict(p) for p in pages]


_PRIORITY = ("privacy_policy", "terms", "cookie_policy", "imprint", "other_legal")


def dedupe(pages: list[LabelledPage]) -> tuple[list[LabelledPage], list[str]]:
    """One page per service and extracted text.

    Open Terms Archive sometimes takes two documents from one page (Buffer's "Legal" page is
    its privacy policy, its terms and its copyright policy; two trackers policies are the
    privacy policy page). Judged by content alone these are one page: kept once, as a privacy
    policy if it is one of them (a page that is both is a privacy policy), else by _PRIORITY.
    Returns the pages kept and one note per page merged away.
    """
    groups: dict[tuple[str, str], list[LabelledPage]] = {}
    for p in pages:
        # the same words in the same order: markup and link targets may differ
        words = " ".join(w for w in p.text.split() if "](" not in w)
        groups.setdefault((p.service, words), []).append(p)
    kept, notes = [], []
    for same in groups.values():
        best = min(same, key=lambda p: (_PRIORITY.index(p.label), p.train_label))
        kept.append(best)
        notes += [
            f"{p.key} ({p.label}) is the same page as {best.key}" for p in same if p is not best
        ]
    return kept, notes
