"""Document types on real pages, services held out (scripts/eval_detection.py).

Floors: the goals of issue 15 for privacy_policy on held-out services (precision and
recall >= 0.97) and on every real policy (recall >= 0.99, measured 0.994 held out). The one
page it misses (its saved HTML holds only a cookie banner) is named here and explained in
docs/detection.md, so a new miss fails this test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRECISION_FLOOR = 0.97
RECALL_FLOOR = 0.97
RECALL_ALL_FLOOR = 0.99  # every page is a real policy or a hard negative: recall is over all
# real policies missed held out, each explained in docs/detection.md
EXPLAINED_MISSES = {
    "genai-eu-snapshots/Llama_API__Privacy_Policy_docs-trust-data-commitments__2026-07-09_f0459b43.html",
}

pytestmark = pytest.mark.corpus


def _module(name: str) -> ModuleType:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)  # the eval imports its sibling modules
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_privacy_policies_held_out_by_service(shared_data: Path, tmp_path: Path) -> None:
    ev = _module("eval_detection")
    result = ev.evaluate(shared_data, tmp_path / "cache")
    precision, recall = result.precision_recall()
    print(ev.format_matrix(result))
    assert precision >= PRECISION_FLOOR, [p.key for p, _ in result.false_positives()]
    assert recall >= max(RECALL_FLOOR, RECALL_ALL_FLOOR)
    missed = {p.key for p, _, _ in result.misses()}
    assert missed <= EXPLAINED_MISSES, missed - EXPLAINED_MISSES
