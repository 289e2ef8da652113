"""Where the real-world corpora (OPP-115, real policies, Wayback recordings) live."""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The real-world corpora: $POLICYARCHIVE_DATA, else ../shared/data beside the repo."""
    env = os.environ.get("POLICYARCHIVE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for c in candidates:
        if (c / "opp115").is_dir():
            return c
    return None
