"""``policyarchive candidates`` over a small generated Common Crawl columnar index."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.archive.ccindex import path_score
from tests.crawl import run_cli

CRAWL = "CC-MAIN-2019-22"
# (url, registered domain, status, mime)
ROWS = [
    ("https://www.alpha.com/", "alpha.com", 200, "text/html"),
    ("https://www.alpha.com/privacy-policy", "alpha.com", 200, "text/html"),
    ("https://www.alpha.com/blog/2019/05/why-privacy-matters", "alpha.com", 200, "text/html"),
    ("https://www.alpha.com/legal/privacy/policy.pdf", "alpha.com", 200, "application/pdf"),
    ("https://shop.beta.de/datenschutzerklaerung", "beta.de", 200, "text/html"),
    ("https://shop.beta.de/datenschutz.css", "beta.de", 200, "text/html"),
    ("https://gamma.fr/politique-de-confidentialit%C3%A9", "gamma.fr", 200, "text/html"),
    ("https://delta.es/aviso-legal", "delta.es", 200, "text/html"),  # no privacy word
    ("https://delta.es/politica-de-privacidad", "delta.es", 404, "text/html"),  # not a 200
    ("https://epsilon.it/informativa-privacy", "epsilon.it", 200, "text/html"),
    ("https://zeta.nl/privacybeleid", "zeta.nl", 200, "text/html"),
    ("https://eta.com.br/politica-de-privacidade", "eta.com.br", 200, "text/html"),
    ("https://theta.pl/polityka-prywatnosci", "theta.pl", 200, "text/html"),
    ("https://iota.se/integritetspolicy", "iota.se", 200, "text/html"),
    ("https://kappa.dk/privatlivspolitik", "kappa.dk", 200, "text/html"),
    ("https://lambda.com/privacy.png", "lambda.com", 200, "image/png"),  # not a document
]
EXPECTED = {
    "alpha.com": "https://www.alpha.com/privacy-policy",
    "beta.de": "https://shop.beta.de/datenschutzerklaerung",
    "gamma.fr": "https://gamma.fr/politique-de-confidentialit%C3%A9",
    "epsilon.it": "https://epsilon.it/informativa-privacy",
    "zeta.nl": "https://zeta.nl/privacybeleid",
    "eta.com.br": "https://eta.com.br/politica-de-privacidade",
    "theta.pl": "https://theta.pl/polityka-prywatnosci",
    "iota.se": "https://iota.se/integritetspolicy",
    "kappa.dk": "https://kappa.dk/privatlivspolitik",
}


def write_index(root: Path) -> Path:
    """Hive partitions as Common Crawl lays them out; other crawls and subsets hold decoys."""

    def table(rows: list[tuple[str, str, int, str]]) -> pa.Table:
        from urllib.parse import urlsplit

        return pa.table(
            {
                "url": [r[0] for r in rows],
                "url_host_registered_domain": [r[1] for r in rows],
                "url_path": [urlsplit(r[0]).path for r in rows],
                "fetch_status": pa.array([r[2] for r in rows], pa.int16()),
                "content_mime_detected": [r[3] for r in rows],
                "content_languages": ["eng"] * len(rows),
                "warc_filename": [f"crawl-data/{CRAWL}/x-{i}.warc.gz" for i in range(len(rows))],
                "warc_record_offset": pa.array(range(len(rows)), pa.int32()),
                "warc_record_length": pa.array([1000] * len(rows), pa.int32()),
            }
        )

    for crawl, subset, rows in [
        (CRAWL, "warc", ROWS),
        (CRAWL, "robotstxt", [("https://nu.com/privacy", "nu.com", 200, "text/html")]),
        ("CC-MAIN-2019-26", "warc", [("https://xi.com/privacy", "xi.com", 200, "text/html")]),
    ]:
        part = root / f"crawl={crawl}" / f"subset={subset}"
        part.mkdir(parents=True)
        pq.write_table(table(rows[: len(rows) // 2]), part / "part-00000.parquet")
        pq.write_table(table(rows[len(rows) // 2 :]), part / "part-00001.parquet")
    return root


def lines(path: Path) -> dict[str, str]:
    return dict(line.split(",", 1) for line in path.read_text().splitlines())


def test_one_best_candidate_per_domain_in_ten_languages(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index")
    out = tmp_path / "candidates.txt"
    proc = run_cli("candidates", "--crawl", CRAWL, "--index", str(index), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert lines(out) == EXPECTED
    assert "9 domains" in proc.stdout


def test_only_the_domains_of_a_sites_file(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index")
    sites = tmp_path / "sites.txt"
    sites.write_text("www.alpha.com\nbeta.de\nnowhere.org\n")
    out = tmp_path / "candidates.txt"
    proc = run_cli(
        "candidates",
        "--crawl",
        CRAWL,
        "--index",
        str(index),
        "--out",
        str(out),
        "--sites",
        str(sites),
    )
    assert proc.returncode == 0, proc.stderr
    assert lines(out) == {k: EXPECTED[k] for k in ("alpha.com", "beta.de")}
    assert "2 domains of 3 asked for" in proc.stdout


def test_the_output_is_a_sites_file_the_crawler_reads(tmp_path: Path) -> None:
    from crawler.sites import read_sites_file

    index = write_index(tmp_path / "index")
    out = tmp_path / "candidates.txt"
    assert (
        run_cli("candidates", "--crawl", CRAWL, "--index", str(index), "--out", str(out)).returncode
        == 0
    )
    entries = read_sites_file(out)
    assert {e.site: e.policy_url for e in entries} == EXPECTED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crawl", "2019-22"], "not a crawl id"),
        (["--crawl", CRAWL, "--index", "/nonexistent/index"], "no such index folder"),
    ],
)
def test_bad_input_is_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    full = ["candidates", "--index", str(tmp_path), "--out", str(tmp_path / "o.txt"), *args]
    proc = run_cli(*full)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ("/privacy-policy", "/blog/2019/05/why-privacy-matters"),
        ("/privacy-policy", "/legal/privacy/policy.pdf"),
        ("/datenschutzerklaerung", "/de/unternehmen/rechtliches/datenschutz"),
        ("/privacy", "/account/settings/privacy/cookies/preferences"),
    ],
)
def test_path_scores_rank(better: str, worse: str) -> None:
    mime = "application/pdf" if worse.endswith(".pdf") else "text/html"
    assert path_score(better) > path_score(worse, mime) > 0


@pytest.mark.parametrize("path", ["/", "/about", "/terms", "/privacy.css", "/impressum"])
def test_paths_without_a_policy_score_zero(path: str) -> None:
    assert path_score(path) == 0
