"""One regex for many literal strings, shaped as a trie.

Python's ``re`` tries the branches of an alternation one after another at every position,
so ``a|b|c...`` over hundreds of words costs hundreds of comparisons per character. A trie
(``b(?:ank|ill(?:ing)?)``) costs one step per character and finds the same strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def trie_pattern(keys: Iterable[str], *, space: str | None = None) -> str:
    """A regex matching any of ``keys``, the longest where several match.

    With ``space`` (say ``r"\\s+"``), a space in a key stands for that pattern.
    """
    root: dict[str, dict] = {}
    for key in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alts = [
            (space if space is not None and ch == " " else re.escape(ch)) + emit(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if "" in node:
            alts.append("")  # last: a longer key is tried first
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root)
