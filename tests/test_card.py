"""The dataset card (<out>/README.md): a Hugging Face header that loads, generated columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.storage.card import describe, render_card, write_card
from pipelines.storage.read import part_files
from pipelines.storage.schemas import DATASETS
from tests.reportdata import fetch_row, policy_row, write_rows


def header(card: str) -> dict[str, Any]:
    assert card.startswith("---\n")
    yaml_text, _, _ = card[4:].partition("\n---\n")
    return yaml.safe_load(yaml_text)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_column_of_every_dataset_has_a_meaning(dataset: str) -> None:
    missing = [f.name for f in DATASETS[dataset] if not describe(dataset, f.name)]
    assert missing == [], f"describe these {dataset} columns in pipelines/storage/card.py"


@pytest.fixture
def small_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    rows = [
        (snap, policy_row(site, snap, f"{site} privacy policy text {snap}"))
        for site in ("a.example", "b.example")
        for snap in ("2010H1", "2009H2")
    ]
    write_rows(out, "policies", rows)
    write_rows(out, "fetches", [("2009H2", fetch_row("c.example", "no_policy_found"))])
    (out / "runs").mkdir()
    (out / "runs" / "r1.json").write_text(
        json.dumps(
            {
                "run_id": "r1",
                "spider": "wayback",
                "started_at": "2026-01-01T00:00:00+00:00",
                "status": "complete",
                "command": ["policyarchive", "wayback", "--sites", "s.txt"],
                "arguments": {
                    "from": "2009-01-01T00:00:00+00:00",
                    "to": "2011-01-01T00:00:00+00:00",
                    "every": "half",
                    "archive": "https://web.archive.org",
                },
                "versions": {"python": "3.11", "scrapy": "2.19.0"},
            }
        )
    )
    return out


def test_card_header_names_each_dataset_with_a_glob_that_finds_its_files(
    small_output: Path,
) -> None:
    path = write_card(small_output)
    assert path == small_output / "README.md"
    meta = header(path.read_text(encoding="utf-8"))
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert list(configs) == ["policies", "fetches"]  # clauses has no files here
    assert configs["policies"].get("default") is True
    for name, config in configs.items():
        (files,) = config["data_files"]
        assert files["split"] == "train"
        found = sorted(small_output.glob(files["path"]))
        assert found == part_files(small_output, name) and found, name
        for f in found:  # each file has the dataset's columns (what datasets would load)
            assert set(pq.read_schema(f).names) <= {x.name for x in DATASETS[name]}
    assert meta["language"] == ["en"]
    assert meta["license"] == "other"


def test_card_body_lists_runs_counts_and_every_column(small_output: Path) -> None:
    card = render_card(small_output)
    body = card.split("\n---\n", 1)[1]
    assert "`policyarchive wayback --sites s.txt`" in body
    assert "https://web.archive.org" in body and "| 2009-01-01 | 2011-01-01 | half |" in body
    # counts per snapshot, in time order, and the total of distinct sites
    assert body.index("| 2009H2 | 2 | 2 | 1 |") < body.index("| 2010H1 | 2 | 2 | 0 |")
    assert "| **total** | 2 | 4 | 1 |" in body
    for name, schema in DATASETS.items():
        section = body.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for f in schema:
            assert f"| `{f.name}` |" in section, (name, f.name)
        assert "(not described)" not in section
    assert "OPP-115" in body and "research, teaching and scholarship" in body
    assert "@inproceedings{wilson2016opp115" in body
    assert "sha256" in body  # the model file is identified


def test_card_of_an_empty_directory_is_still_valid(tmp_path: Path) -> None:
    meta = header(render_card(tmp_path))
    assert meta["configs"] == []


def test_card_is_readable_by_others(small_output: Path) -> None:
    assert write_card(small_output).stat().st_mode & 0o044 == 0o044
