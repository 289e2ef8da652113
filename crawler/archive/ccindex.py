"""Privacy-policy candidates from Common Crawl's columnar index (Parquet), one per domain.

The columnar index (``cc-index/table/cc-main/warc/``, hive partitions ``crawl=``/``subset=``)
has one row per capture with Common Crawl's own column names: ``url``,
``url_host_registered_domain``, ``url_path``, ``fetch_status``, ``content_mime_detected``,
``content_languages``, ``warc_filename``, ``warc_record_offset``, ``warc_record_length``…
The filter runs inside pyarrow's dataset scanner (partition pruning on ``crawl``/``subset``,
then status, type and a privacy-word regex on the path), so only candidate rows reach
Python; scoring and the choice of one URL per domain are pure functions below.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pyarrow.compute as pc
import pyarrow.dataset as ds

COLUMNS = [
    "url",
    "url_host_registered_domain",
    "url_path",
    "content_mime_detected",
    "content_languages",
    "warc_filename",
    "warc_record_offset",
    "warc_record_length",
]
MIME_TYPES = ["text/html", "application/pdf"]

# Path words that name a privacy policy, by language: (weight, pattern on the folded path).
# Folded = lower case, percent-decoded, accents removed; ``[-_ ]?`` joins compound words.
_SEP = r"[-_ .]?"
PATH_WORDS: tuple[tuple[float, str], ...] = (
    # en
    (10.0, rf"privacy{_SEP}(?:policy|policies|notice|statement)"),
    (9.0, rf"data{_SEP}(?:protection|privacy){_SEP}(?:policy|notice)"),
    # de
    (10.0, rf"datenschutz{_SEP}(?:erklarung|erklaerung|hinweise?|richtlinie|bestimmungen)"),
    (9.0, r"datenschutz"),
    # fr
    (10.0, rf"(?:politique|charte){_SEP}(?:de{_SEP})?(?:confidentialite|vie{_SEP}privee)"),
    (9.0, rf"confidentialite|vie{_SEP}privee|donnees{_SEP}personnelles"),
    # es / pt
    (10.0, rf"(?:politica|aviso){_SEP}de{_SEP}privacidad[e]?"),
    (9.0, r"privacidade?"),
    (8.0, rf"proteccion{_SEP}de{_SEP}datos|protecao{_SEP}de{_SEP}dados"),
    # it
    (10.0, rf"informativa{_SEP}(?:sulla{_SEP})?privacy|trattamento{_SEP}(?:dei{_SEP})?dati"),
    # nl
    (10.0, r"privacy(?:beleid|verklaring|reglement)"),
    # pl
    (10.0, rf"polityka{_SEP}prywatnosci"),
    (9.0, rf"prywatnosc|prywatnosci|ochrona{_SEP}danych"),
    # sv / da
    (10.0, r"integritetspolicy|privatlivspolitik|persondatapolitik"),
    (8.0, r"integritet|personuppgifter|dataskydd|databeskyttelse|privatliv"),
    # the topic word shared by en, it, nl and many sites in every language
    (8.0, r"privacy"),
)
_COMPILED = tuple((w, re.compile(p)) for w, p in PATH_WORDS)
# one regex for the scanner: any privacy word in the raw path (accents matched loosely)
SCAN_REGEX = (
    r"(?i)privacy|datenschutz|confidentialit|vie.?priv|donn.{1,2}es.?personnelles|privacidad"
    r"|prote..?.?o.?de.?dados|protecci.{1,2}n.?de.?datos|informativa|trattamento|prywatno"
    r"|ochrona.?danych|integritet|personuppgifter|dataskydd|privatliv|persondata|databeskyttelse"
)
_NOT_POLICY = re.compile(
    r"/(?:blog|news|press|article|articles|forum|forums|tag|tags|category|search|product|"
    r"products|job|jobs|careers|wp-content|wp-json|feed|comments?)/|/(?:19|20)\d\d/"
)
_ASSET = re.compile(r"\.(?:css|js|json|xml|png|jpe?g|gif|svg|ico|zip|txt)$")


@dataclass(frozen=True)
class Candidate:
    domain: str
    url: str
    score: float
    mime: str
    warc_filename: str
    warc_offset: int
    warc_length: int


def fold_path(path: str) -> str:
    text = unquote(path).lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).replace("ß", "ss")


def path_score(path: str, mime: str = "text/html") -> float:
    """How likely a URL path is a privacy policy: 0 when no privacy word is in it.

    The best word counts; shorter, shallower paths win ties (a site's policy sits near its
    root); articles, listings and assets are pushed down; a PDF a little (an HTML policy is
    usually the current one).
    """
    folded = fold_path(path)
    best = max((w for w, rx in _COMPILED if rx.search(folded)), default=0.0)
    if best == 0.0 or _ASSET.search(folded):
        return 0.0
    score = best
    score -= 0.3 * max(0, folded.strip("/").count("/"))  # depth
    score -= min(1.0, len(folded) / 200)
    if _NOT_POLICY.search(folded):
        score -= 5.0
    if mime == "application/pdf":
        score -= 0.5
    return max(score, 0.1)


def _better(a: Candidate, b: Candidate) -> bool:
    """True when ``a`` beats ``b``: higher score, then https, then shorter, then by URL."""
    ka = (-a.score, not a.url.startswith("https:"), len(a.url), a.url)
    kb = (-b.score, not b.url.startswith("https:"), len(b.url), b.url)
    return ka < kb


def best_per_domain(rows: Iterable[dict[str, object]]) -> dict[str, Candidate]:
    """The best-scoring candidate of each registered domain among index rows."""
    best: dict[str, Candidate] = {}
    for row in rows:
        domain = str(row.get("url_host_registered_domain") or "").lower()
        url = str(row.get("url") or "")
        if not domain or not url:
            continue
        mime = str(row.get("content_mime_detected") or "")
        path = str(row.get("url_path") or urlsplit(url).path)
        score = path_score(path, mime)
        if score <= 0:
            continue
        cand = Candidate(
            domain,
            url,
            round(score, 3),
            mime,
            str(row.get("warc_filename") or ""),
            int(row.get("warc_record_offset") or 0),  # type: ignore[call-overload]
            int(row.get("warc_record_length") or 0),  # type: ignore[call-overload]
        )
        old = best.get(domain)
        if old is None or _better(cand, old):
            best[domain] = cand
    return best


def index_filter(crawl: str | None, domains: set[str] | None) -> ds.Expression:
    """Rows worth scoring: 200s of HTML or PDF with a privacy word in the path."""
    expr = (
        (ds.field("fetch_status") == 200)
        & ds.field("content_mime_detected").isin(MIME_TYPES)
        & pc.match_substring_regex(
            ds.field("url_path"), pattern=SCAN_REGEX.removeprefix("(?i)"), ignore_case=True
        )
    )
    if crawl is not None:
        expr = expr & (ds.field("crawl") == crawl) & (ds.field("subset") == "warc")
    if domains:
        expr = expr & ds.field("url_host_registered_domain").isin(sorted(domains))
    return expr


def open_index(index: str, crawl: str) -> tuple[ds.Dataset, bool]:
    """The dataset for ``crawl`` and whether partition filters still apply to it.

    The crawl's own partition folder is opened when it exists (listing only its files, not
    every crawl's); else the whole index, pruned by its hive partitions.
    """
    from pyarrow import fs

    filesystem, root = fs.FileSystem.from_uri(index) if "://" in index else (None, index)
    root = root.rstrip("/")
    sub = f"{root}/crawl={crawl}/subset=warc"
    local = filesystem or fs.LocalFileSystem()
    if local.get_file_info(sub).type == fs.FileType.Directory:
        return ds.dataset(sub, format="parquet", filesystem=filesystem), False
    return ds.dataset(root, format="parquet", partitioning="hive", filesystem=filesystem), True


def scan_rows(
    dataset: ds.Dataset, crawl: str | None, domains: set[str] | None
) -> Iterator[dict[str, object]]:
    """Candidate rows, a record batch at a time (memory stays flat over a crawl)."""
    present = set(dataset.schema.names)
    columns = [c for c in COLUMNS if c in present]
    scanner = dataset.scanner(columns=columns, filter=index_filter(crawl, domains))
    for batch in scanner.to_batches():
        yield from batch.to_pylist()


def candidates_lines(best: dict[str, Candidate], sites: dict[str, str] | None = None) -> list[str]:
    """``site,policy_url`` lines, sorted by site; ``sites`` maps a domain to its site name."""
    out = []
    for domain in sorted(best):
        site = (sites or {}).get(domain, domain)
        out.append(f"{site},{best[domain].url}")
    return out
