"""``<out>/README.md``: the dataset card, in the Hugging Face dataset-card format.

Generated, never hand-edited: the YAML header names every dataset present as a config with
its ``data_files`` glob (``datasets.load_dataset("<out>", "policies")``), and the column
tables come from the schemas in :mod:`pipelines.storage.schemas` with the meanings below,
so the card cannot drift from what is written (a test checks every column has a meaning).
Counts come from the Parquet footers; how the data was collected from ``<out>/runs/*.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.categories import CATEGORIES, category_field_name
from pipelines.history.periods import snapshot_sort_key
from pipelines.storage.read import PART_GLOB, part_files, read_columns, snapshot_of
from pipelines.storage.schemas import DATASETS

logger = logging.getLogger(__name__)

CARD_NAME = "README.md"
MODEL_FILE = Path(__file__).resolve().parent.parent / "models" / "opp115_clauses.npz"
MAX_RUNS_LISTED = 30

ROW_MEANING: dict[str, str] = {
    "policies": "one privacy-policy document (one version of a site's policy in a snapshot)",
    "clauses": "one clause of a document (paragraph, list item, table or sentence group)",
    "fetches": "one URL tried, with its outcome, whether or not it gave a document",
    "changes": "one pair of consecutive versions of a site's policy (per site and source)",
    "clause_changes": "one clause operation (added, removed, modified, moved) between two versions",
}

ATTRIBUTE_MEANING: dict[str, str] = {
    "data_types": "personal data types named (OPP-115 'Personal Information Type' values)",
    "third_parties": "third parties named (companies, services, kinds of recipients)",
    "purposes": "purposes of processing named",
    "choices": "choices offered to the user (opt-out, consent, settings ...)",
    "retention_days": "retention periods stated, in days",
    "contact_emails": "contact e-mail addresses given",
    "contact_urls": "contact or request URLs given",
    "postal_addresses": "postal addresses given",
    "laws": "laws, regulations and frameworks named (GDPR, CCPA, COPPA, Safe Harbor ...)",
    "countries": "countries and regions named",
}

# Meanings of columns that mean the same wherever they appear.
SHARED: dict[str, str] = {
    "policy_id": "stable id of the document: hash of site, snapshot, source and content digest",
    "site": "the site studied, as named in the input list (a registrable domain)",
    "source": "where the capture came from: live, wayback (a web archive) or warc (ingested)",
    "captured_at": "when the page was captured (archive timestamp, or fetch time when live)",
    "archive_url": "raw capture URL on the archive (`…/web/<timestamp>id_/<url>`); null when live",
    "http_status": "HTTP status of the (archived) response",
    "run_id": "the run that wrote the row (its manifest: `runs/<run_id>.json`)",
    "snapshot": "the period (2009H2, 2009, 2009Q3, 2009-07, or a 14-digit capture timestamp); "
    "from the directory name `snapshot=<label>`",
    "text": "the extracted text, markdown",
    "categories": "OPP-115 categories assigned (probability ≥ 0.5)",
    "kind": "what was fetched or what the row is (see the dataset)",
    "archive": "which archive the capture came from: ia, commoncrawl, memento:<host>, or the "
    "archive base URL; null when live",
    "warc_filename": "WARC file holding the capture, when the capture came from or went to one",
    "warc_offset": "byte offset of the capture's record in warc_filename",
    "document_type": "what kind of document the page is (privacy policy, terms, cookie "
    "policy ...); null when not classified",
}

DATASET_MEANING: dict[str, dict[str, str]] = {
    "policies": {
        "policy_url": "URL the policy was served from (may be on another host than the site)",
        "content_digest": "sha256 of the raw response body",
        "cdx_digest": "the archive index's digest of the capture (SHA-1, base32); null when live",
        "text_digest": "sha256 of the extracted text with whitespace runs as one space",
        "title": "title of the page",
        "language": "language the text is written in, ISO 639-1, identified from the text "
        "(py3langid); the declared one when the text gives no clear answer",
        "word_count": "words in the text (whitespace-separated)",
        "policy_score": "privacy-policy detector score, 0–1 (what is stored is decided by "
        "document_type)",
        "policy_reason": "what the privacy-policy detector found in the page",
        "homepage_url": "homepage the policy link was found on; null when given or guessed",
        "discovered_by": "how the policy URL was found: explicit, homepage_link, common_path ...",
        "redirects": "URLs of the redirects followed to reach the policy, in order",
        "clause_count": "number of clauses (rows in clauses)",
        "categories": "OPP-115 categories with at least one clause in the document",
        "document_type_score": "score of the document-type classifier, 0–1",
        "document_type_reason": "why the document-type classifier chose document_type",
        "declared_language": "language the page declares (html lang, Content-Language, "
        "og:locale, a PDF's /Lang); null when it declares none",
        "content_type": "media type of the captured page: text/html or application/pdf",
        "labels": "why clause labels are as they are: ok, english_only (labels only for "
        "English), none",
        "flesch_kincaid_grade": "Flesch-Kincaid grade level of the prose (headings, lists and "
        "tables left out); null under 100 words of prose",
        "flesch_reading_ease": "Flesch reading ease of the prose (higher is easier); null under "
        "100 words of prose",
        "smog": "SMOG grade of the prose; null under 100 words of prose",
        "reading_minutes": "reading time at 250 words a minute",
        "stated_date": "the date the policy gives for itself (last updated, effective ...); "
        "null when none is stated",
        "stated_date_kind": "what stated_date is: updated, effective, revised or created",
        "simhash": "64-bit simhash of the text over 4-word shingles of lowercased words, numbers "
        "and e-mails/URLs masked (date-only edits do not move it)",
        "reextracted": "true on rows written by policyarchive reextract (same capture, new "
        "extraction)",
    },
    "clauses": {
        "clause_id": "id of the clause: `<policy_id>-<position>`",
        "position": "0-based position of the clause in its document",
        "heading_path": "headings above the clause, outermost first",
        "kind": "heading, paragraph, list_item, table or sentences (a long paragraph cut)",
        "categories": "OPP-115 categories assigned to the clause (probability ≥ 0.5)",
        "category_probs": "probability of each OPP-115 category (one float32 field each: "
        + ", ".join(category_field_name(c) for c in CATEGORIES)
        + "); null for documents not in English (policies.labels = english_only)",
    },
    "fetches": {
        "url": "the URL tried",
        "kind": "what was fetched: policy, homepage, or an archive index query",
        "outcome": "ok, or the reason slug why no document came of it (no_policy_found, "
        "no_capture_in_period, not_a_policy, http_404, timeout ...)",
        "detail": "more about the outcome (policy_id=… when ok; an error message otherwise)",
        "captured_at": "capture time of the page fetched from an archive; null otherwise",
        "fetched_at": "when the fetch was made",
    },
    "changes": {
        "from_policy_id": "the earlier version (policies.policy_id)",
        "to_policy_id": "the later version (policies.policy_id)",
        "from_snapshot": "snapshot of the earlier version",
        "to_snapshot": "snapshot of the later version (the dataset is partitioned by it)",
        "from_captured_at": "capture time of the earlier version",
        "to_captured_at": "capture time of the later version",
        "gap_periods": "snapshots without a version between the two",
        "kind": "identical, cosmetic (same words, other layout), date_only, near_duplicate "
        "(simhash distance ≤ 3), substantive, revert (an earlier non-adjacent text returns), "
        "reextracted (same capture extracted again: never a policy change)",
        "simhash_distance": "Hamming distance between the two versions' simhashes (0–64)",
        "words_added": "words added (word-level diff)",
        "words_removed": "words removed (word-level diff)",
        "clauses_added": "clauses in the later version with no match in the earlier",
        "clauses_removed": "clauses of the earlier version with no match in the later",
        "clauses_modified": "clauses matched by similarity whose text differs",
        "clauses_unchanged": "clauses whose text is the same",
        "categories_gained": "OPP-115 categories present in the later version only",
        "categories_lost": "OPP-115 categories present in the earlier version only",
        "from_stated_date": "stated_date of the earlier version",
        "to_stated_date": "stated_date of the later version",
    },
    "clause_changes": {
        "from_policy_id": "the earlier version (policies.policy_id)",
        "to_policy_id": "the later version (policies.policy_id)",
        "op": "added, removed, modified or moved",
        "from_clause_id": "the clause in the earlier version; null when added",
        "to_clause_id": "the clause in the later version; null when removed",
        "similarity": "text similarity of the matched clauses, 0–1; null when added or removed",
        "categories_before": "OPP-115 categories of the earlier clause",
        "categories_after": "OPP-115 categories of the later clause",
    },
}

_GAINED_LOST = re.compile(r"^(?P<attr>.+)_(?P<way>gained|lost)$")


def describe(dataset: str, column: str) -> str | None:
    """The meaning of one column of one dataset; None when nobody wrote one down."""
    own = DATASET_MEANING.get(dataset, {})
    if column in own:
        return own[column]
    if column in ATTRIBUTE_MEANING:
        scope = "in the clause" if dataset == "clauses" else "anywhere in the document"
        return f"{ATTRIBUTE_MEANING[column]}, {scope}"
    m = _GAINED_LOST.match(column)
    if m and m["attr"] in ATTRIBUTE_MEANING:
        side = "later version only" if m["way"] == "gained" else "earlier version only"
        return f"{m['attr']} values named in the {side}"
    return SHARED.get(column)


def type_name(t: pa.DataType) -> str:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        kinds = {type_name(f.type) for f in t}
        inner = kinds.pop() if len(kinds) == 1 else "mixed"
        return f"struct of {t.num_fields} {inner}"
    if pa.types.is_floating(t):
        return f"float{t.bit_width}"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {t.tz or 'naive'}]"
    return str(t)


# -- collecting facts -----------------------------------------------------------------------
def _manifests(out: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted((out / "runs").glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            logger.warning("dataset card: skipping unreadable manifest %s: %s", path, exc)
    return sorted(runs, key=lambda m: str(m.get("started_at") or ""))


def _counts(out: Path) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Rows per dataset and snapshot (from Parquet footers), and part files per dataset."""
    rows: dict[str, dict[str, int]] = {}
    files: dict[str, int] = {}
    for name in DATASETS:
        per: Counter[str] = Counter()
        parts = part_files(out, name)
        for f in parts:
            per[snapshot_of(f)] += pq.read_metadata(f).num_rows
        rows[name] = dict(per)
        files[name] = len(parts)
    return rows, files


def _sites_per_snapshot(out: Path) -> tuple[dict[str, int], int]:
    """Distinct sites with a policy per snapshot, and in all snapshots together."""
    t = read_columns(out, "policies", ("site",))
    if t is None or t.num_rows == 0:
        return {}, 0
    g = t.group_by("snapshot").aggregate([("site", "count_distinct")])
    per = dict(zip(g["snapshot"].to_pylist(), g["site_count_distinct"].to_pylist(), strict=True))
    return per, len(t["site"].unique())


def _languages(out: Path) -> list[str]:
    t = read_columns(out, "policies", ("language",))
    if t is None or "language" not in t.column_names:
        return []
    values = {v for v in t["language"].unique().to_pylist() if v}
    return sorted(v for v in values if re.fullmatch(r"[a-z]{2}", v))


def _model_facts() -> dict[str, str]:
    from importlib import resources

    # through importlib.resources: inside a zipped egg (Scrapyd) too
    shipped = resources.files("pipelines") / "models" / MODEL_FILE.name
    if not shipped.is_file():
        return {"file": "pipelines/models/opp115_clauses.npz (absent)"}
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    try:
        from pipelines.text.classify import FORMAT_VERSION
    except ImportError:  # keep the card writable without numpy
        FORMAT_VERSION = "?"  # noqa: N806
    return {
        "file": "pipelines/models/opp115_clauses.npz",
        "sha256": digest,
        "format version": str(FORMAT_VERSION),
        "trained on": "OPP-115 train split (75 policies); card: pipelines/models/MODEL_CARD.md",
    }


# readability and plotting libraries are not in every run manifest: name what is installed
EXTRA_PACKAGES = ("textstat", "py-readability-metrics", "readability", "matplotlib")


def _extra_versions() -> dict[str, str]:
    out = {}
    for name in EXTRA_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def _size_category(n: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < limit:
            return label
    return "10M<n<100M"


# -- rendering ------------------------------------------------------------------------------
def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _md(value: object) -> str:
    """A markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out


def data_files_glob(dataset: str) -> str:
    return f"{dataset}/{PART_GLOB}"


def _yaml_header(present: list[str], languages: list[str], policy_rows: int) -> list[str]:
    lines = [
        "---",
        f"pretty_name: {_q('policyarchive: privacy policies over time')}",
        "license: other",
        "license_name: mixed-see-licences",  # texts: their publishers; labels: OPP-115 terms
        "language:" if languages else "language: []",
        *(f"- {lang}" for lang in languages),
        "tags:",
        *(f"- {t}" for t in ("privacy-policies", "web-archive", "legal", "opp-115", "parquet")),
        "task_categories:",
        "- text-classification",
        "size_categories:",
        f"- {_q(_size_category(policy_rows))}",
        "configs:" if present else "configs: []",
    ]
    for i, name in enumerate(present):
        lines += [
            f"- config_name: {name}",
            "  data_files:",
            "  - split: train",
            f"    path: {_q(data_files_glob(name))}",
        ]
        if i == 0:
            lines.append("  default: true")
    lines.append("---")
    return lines


def _collection(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return ["No run manifest in `runs/`: how this data was collected is not recorded."]
    shown = runs[-MAX_RUNS_LISTED:]
    lines = [
        f"{len(runs)} run(s) wrote this directory"
        + (f"; the last {len(shown)} are listed" if len(shown) < len(runs) else "")
        + " (each has a manifest `runs/<run_id>.json` with its files and their sha256).",
        "",
    ]

    def arg(m: dict[str, Any], key: str) -> str:
        value = str((m.get("arguments") or {}).get(key) or "")
        return value[:10] if key in ("from", "to") else value  # dates, not midnights

    rows = []
    for m in shown:
        command = " ".join(str(c) for c in (m.get("command") or [])) or str(m.get("spider"))
        rows.append(
            [
                m.get("run_id", ""),
                m.get("spider") or "",
                str(m.get("started_at") or "")[:19],
                m.get("status") or "",
                arg(m, "from"),
                arg(m, "to"),
                arg(m, "every"),
                arg(m, "archive") or ("live web" if m.get("spider") == "live" else ""),
                f"`{command}`",
            ]
        )
    header = ["run", "spider", "started (UTC)", "status", "from", "to (excl.)", "period"]
    lines += _table([*header, "archive", "command"], rows)
    versions = dict(shown[-1].get("versions") or {})
    versions.update(_extra_versions())
    lines += [
        "",
        "Software of the last run (and libraries installed when this card was written):",
        "",
        *_table(["package", "version"], sorted(versions.items())),
        "",
        "Clause classifier:",
        "",
        *_table(["", ""], _model_facts().items()),
    ]
    return lines


def _count_lines(
    rows: dict[str, dict[str, int]], sites: dict[str, int], all_sites: int
) -> list[str]:
    names = [n for n in DATASETS if rows.get(n)]
    snaps = sorted({s for n in names for s in rows[n]}, key=snapshot_sort_key)
    if not snaps:
        return ["No data yet."]
    body = [[s, sites.get(s, 0), *(rows[n].get(s, 0) for n in names)] for s in snaps]
    total = ["**total**", all_sites, *(sum(rows[n].values()) for n in names)]
    return [
        "Rows per snapshot (sites: distinct sites with a policy in the snapshot; `all` holds "
        "fetch rows of index queries that span a whole run):",
        "",
        *_table(["snapshot", "sites", *names], [*body, total]),
    ]


def _column_lines(present: list[str]) -> list[str]:
    lines: list[str] = []
    for name, schema in DATASETS.items():
        where = f"`{data_files_glob(name)}`" if name in present else "no files yet"
        lines += [
            f"### `{name}`",
            "",
            f"One row: {ROW_MEANING.get(name, name)}. Files: {where}.",
            "",
        ]
        rows = [
            [
                f"`{f.name}`",
                f"`{type_name(f.type)}`",
                "no" if not f.nullable else "yes",
                describe(name, f.name) or "(not described)",
            ]
            for f in schema
        ]
        rows.append(["`snapshot`", "`string`", "no", SHARED["snapshot"]])
        lines += [*_table(["column", "type", "nullable", "meaning"], rows), ""]
    return lines


LIMITATIONS = [
    "Archives hold what their crawlers saw: a period without a capture has no version, and a "
    "capture may be a consent wall, an error page or another language's page.",
    "A snapshot holds one version per site (the capture nearest the period's middle), unless "
    "the run used `--every capture`; changes inside a period are then not seen.",
    "Policy discovery follows the homepage's links, then common paths: a policy only linked "
    "from elsewhere may be missed (`fetches` says `no_policy_found`).",
    "Text comes from trafilatura with a rescue pass for cookie sections; layout-heavy pages "
    "may lose or keep some boilerplate.",
    "Clause categories come from a classifier trained on 75 US policies of 2015 (OPP-115, "
    "English; micro-F1 about 0.8 on held-out policies), and are left empty for documents not "
    "in English (`labels` says english_only); attributes come from keyword rules. Both are "
    "weaker on vocabulary newer than the training data, attributes also on other languages.",
    "Readability scores are English formulas; on other languages they are indicative only.",
]

LICENCES = [
    "- **The policy texts** are the work of the sites that published them, collected for "
    "research (text and data mining); they are not relicensed here. Check your "
    "jurisdiction's terms before redistributing them.",
    "- **Clause categories** (`categories`, `category_probs`) come from a model trained on "
    "the OPP-115 corpus: (C) 2016 Carnegie Mellon University, Usable Privacy Policy Project, "
    "for research, teaching and scholarship purposes only, in the spirit of CC BY-NC. The "
    "labels derived from it carry the same terms; commercial use needs the corpus authors' "
    "permission (pipelines/models/MODEL_CARD.md).",
    "- **The software** that wrote this data: policyarchive, MIT licence.",
]

CITATION = """```bibtex
@misc{policyarchive,
  title  = {policyarchive: a longitudinal archive of website privacy policies},
  note   = {Dataset generated with policyarchive; see runs/*.json for the exact runs},
  year   = {YEAR}
}

@inproceedings{wilson2016opp115,
  title     = {The Creation and Analysis of a Website Privacy Policy Corpus},
  author    = {Wilson, Shomir and Schaub, Florian and Dara, Aswarth Abhilash and Liu, Frederick
               and Cherivirala, Sushain and Leon, Pedro Giovanni and Andersen, Mads Schaarup
               and Zimmeck, Sebastian and Sathyendra, Kanthashree Mysore and Russell, N. Cameron
               and Norton, Thomas B. and Hovy, Eduard and Reidenberg, Joel and Sadeh, Norman},
  booktitle = {Proceedings of the 54th Annual Meeting of the Association for Computational
               Linguistics (ACL)},
  year      = {2016}
}
```"""


def render_card(out_dir: str | Path) -> str:
    """The dataset card of an output directory, as markdown with a YAML header."""
    out = Path(out_dir)
    rows, files = _counts(out)
    present = [n for n in DATASETS if files.get(n)]
    runs = _manifests(out)
    policy_rows = sum(rows.get("policies", {}).values())
    lines = _yaml_header(present, _languages(out), policy_rows)
    lines += [
        "",
        "# Privacy policies over time (policyarchive)",
        "",
        "Website privacy policies and their history, as collected by "
        "policyarchive: each site's policy per period from web "
        "archives (Wayback Machine or any pywb archive) or the live web, its extracted text, "
        "its clauses labelled with the OPP-115 categories, and what each clause names (data "
        "types, third parties, laws ...). Every URL tried is recorded with its outcome, so "
        "missing data has a reason.",
        "",
        "## Load it",
        "",
        "```python",
        "import pandas as pd",
        'policies = pd.read_parquet("policies")   # from this directory; snapshot is a column',
        "",
        "import datasets",
        'policies = datasets.load_dataset("<this directory>", "policies", split="train")',
        "```",
        "",
        "The `snapshot` column comes from the directory name (`snapshot=2009H2`): pandas and "
        "pyarrow add it when they read the dataset directory; `datasets` does not (read "
        "`captured_at`, or join on `policy_id`).",
        "",
        "## Datasets",
        "",
        *_table(
            ["dataset", "one row", "rows", "files"],
            [[f"`{n}`", ROW_MEANING.get(n, ""), sum(rows[n].values()), files[n]] for n in DATASETS],
        ),
        "",
        "## How it was collected",
        "",
        *_collection(runs),
        "",
        "## Counts per snapshot",
        "",
        *_count_lines(rows, *_sites_per_snapshot(out)),
        "",
        "## Columns",
        "",
        "Generated from the schemas the writer enforces (`pipelines/storage/schemas.py`).",
        "",
        *_column_lines(present),
        "## Known limitations",
        "",
        *(f"- {x}" for x in LIMITATIONS),
        "",
        "## Licences",
        "",
        *LICENCES,
        "",
        "## How to cite",
        "",
        "Cite the data as collected (name the runs you used) and the OPP-115 corpus, whose "
        "model labels the clauses:",
        "",
        CITATION.replace("YEAR", str(datetime.now(UTC).year)),
        "",
    ]
    return "\n".join(lines)


def write_card(out_dir: str | Path) -> Path:
    """(Re)write ``<out>/README.md`` atomically."""
    out = Path(out_dir)
    text = render_card(out)
    path = out / CARD_NAME
    fd, tmp = tempfile.mkstemp(prefix=".tmp-card-", dir=out)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the card is for reading
    os.replace(tmp, path)
    logger.info("dataset card written to %s", path)
    return path
