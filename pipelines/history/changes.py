"""What changed between consecutive versions of a site's policy: pure functions, no I/O.

Given one site's versions of one source (policy rows with their clauses), ordered by
``captured_at``, :func:`site_changes` returns one ``changes`` row per consecutive pair and the
``clause_changes`` rows of each pair (schemas in pipelines/storage/schemas.py).

Ordering: by ``captured_at``, then snapshot, policy_id and run_id. A policy_id stored more than
once (a re-extraction of the same capture) keeps its first and last rows only, so every pair
key ``(from_policy_id, to_policy_id)`` is unique within a site and source.

``kind`` of a pair, first rule that holds wins:

1. ``reextracted``: same ``captured_at`` and ``content_digest``: the same capture extracted
   again (another run, extractor or model); never a policy change.
2. ``identical``: the same text.
3. ``cosmetic``: the same words (lowercased ``\\w+`` runs); only layout, whitespace,
   punctuation or case differ.
4. ``revert``: the words equal those of an earlier version that is not the previous one
   (and differ from the previous one's).
5. ``date_only``: equal once numbers and month names are masked (the simhash recipe's
   words): only dates, years or other numbers differ.
6. ``near_duplicate``: simhash distance <= 3.
7. ``substantive``: anything else.

Clauses are matched in three passes, so cost stays bounded and an inserted paragraph is one
``added`` row: (a) difflib over the clauses' word hashes pairs the clauses left in place
(``unchanged``, no row); (b) a clause whose exact words reappear elsewhere is ``moved``;
(c) the rest are paired greedily by Dice similarity of their word sets (>= 0.5) as
``modified``, candidates limited to a window around the aligned position for huge policies;
then a leftover new clause whose words are >= 80 % inside a modified or removed old clause
(a split), or a leftover old clause >= 80 % inside a modified or added new clause (a merge),
is ``modified`` on that best match. What is left is ``added`` or ``removed``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

from pipelines.categories import ATTRIBUTE_NAMES
from pipelines.history.periods import parse_ts14
from pipelines.history.simhash import distance, masked_words, simhash_words

KINDS = (
    "reextracted",
    "identical",
    "cosmetic",
    "revert",
    "date_only",
    "near_duplicate",
    "substantive",
)
OPS = ("added", "removed", "modified", "moved")
NEAR_DUPLICATE_BITS = 3
MODIFIED_SIMILARITY = 0.5
CONTAINED = 0.8
PAIRWISE_LIMIT = 40_000  # old x new leftover clauses compared all against all below this
WINDOW = 60  # otherwise each new clause looks at this many old clauses either side
WORD_DIFF_LIMIT = 20_000  # words a side above which the word diff counts a multiset difference

_WORD_RE = re.compile(r"\w+")


def words_of(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _digest(items: Iterable[str]) -> str:
    return hashlib.blake2b("\x1f".join(items).encode(), digest_size=16).hexdigest()


@dataclass
class Clause:
    clause_id: str
    position: int
    text: str
    categories: list[str] = field(default_factory=list)
    _words: list[str] | None = field(default=None, repr=False)
    _hash: str | None = field(default=None, repr=False)

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = words_of(self.text)
        return self._words

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = _digest(self.words)
        return self._hash


@dataclass
class Version:
    """One stored policy row (what :func:`site_changes` needs of it)."""

    policy_id: str
    site: str
    source: str
    snapshot: str
    captured_at: datetime
    content_digest: str
    text: str
    run_id: str = ""
    simhash: int | None = None
    categories: list[str] = field(default_factory=list)
    attributes: dict[str, list[Any]] = field(default_factory=dict)
    stated_date: date | None = None
    clauses: list[Clause] = field(default_factory=list)
    _feat: dict[str, Any] | None = field(default=None, repr=False)

    def features(self) -> dict[str, Any]:
        """Derived values, each computed once and only when a comparison needs it (a version
        is in two pairs; most pairs are settled by comparing texts)."""
        if self._feat is None:
            self._feat = {}
        return self._feat

    def _get(self, name: str) -> Any:
        f = self.features()
        if name not in f:
            if name == "words":
                f[name] = words_of(self.text)
            elif name == "words_hash":
                f[name] = _digest(self._get("words"))
            elif name == "masked":
                f[name] = masked_words(self.text)
            elif name == "masked_hash":
                f[name] = _digest(self._get("masked"))
            elif name == "simhash":
                sh = self.simhash
                f[name] = sh if sh is not None else simhash_words(self._get("masked"))
        return f[name]

    @property
    def words(self) -> list[str]:
        return self._get("words")  # type: ignore[no-any-return]

    @property
    def words_hash(self) -> str:
        return self._get("words_hash")  # type: ignore[no-any-return]

    @property
    def masked_hash(self) -> str:
        return self._get("masked_hash")  # type: ignore[no-any-return]

    @property
    def simhash_value(self) -> int:
        return self._get("simhash")  # type: ignore[no-any-return]


def order_key(v: Any) -> tuple[Any, ...]:
    """Sort key of a version (a :class:`Version` or any row with the same attributes)."""
    return (v.captured_at, v.snapshot, v.policy_id, v.run_id)


def ordered(versions: Iterable[Any]) -> list[Any]:
    """Versions in order, a policy_id repeated back to back kept at its first and last row."""
    rows = sorted(versions, key=order_key)
    out: list[Any] = []
    for i, v in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        prev = out[-1] if out else None
        middle = (
            prev is not None
            and prev.policy_id == v.policy_id
            and nxt is not None
            and nxt.policy_id == v.policy_id
        )
        if not middle:
            out.append(v)
    return out


def pair_keys(versions: Iterable[Any]) -> list[tuple[str, str, str]]:
    """``(from_policy_id, to_policy_id, to_snapshot)`` of each consecutive pair."""
    seq = ordered(versions)
    return [(a.policy_id, b.policy_id, b.snapshot) for a, b in zip(seq, seq[1:], strict=False)]


# -- snapshots ------------------------------------------------------------------------------
_HALF = re.compile(r"^(\d{4})H([12])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_CAPTURE = re.compile(r"^\d{14}$")


def period_index(label: str) -> tuple[str, int] | None:
    """(unit, ordinal) of a snapshot label, so two labels of one unit can be subtracted."""
    if m := _HALF.match(label):
        return "half", int(m[1]) * 2 + int(m[2]) - 1
    if m := _QUARTER.match(label):
        return "quarter", int(m[1]) * 4 + int(m[2]) - 1
    if m := _MONTH.match(label):
        return "month", int(m[1]) * 12 + int(m[2]) - 1
    if m := _YEAR.match(label):
        return "year", int(m[1])
    if _CAPTURE.match(label):  # every=capture: the half-year the capture falls in
        d = parse_ts14(label)
        return "half", d.year * 2 + (d.month > 6)
    return None


def gap_periods(from_snapshot: str, to_snapshot: str) -> int | None:
    """Snapshot periods strictly between two versions' (none of which holds a version)."""
    a, b = period_index(from_snapshot), period_index(to_snapshot)
    if a is None or b is None or a[0] != b[0]:
        return None
    return max(0, b[1] - a[1] - 1)


# -- clauses --------------------------------------------------------------------------------
@dataclass
class ClauseOp:
    op: str
    old: Clause | None
    new: Clause | None
    similarity: float | None


def _dice(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def _contained(part: set[str], whole: set[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


def match_clauses(old: Sequence[Clause], new: Sequence[Clause]) -> tuple[list[ClauseOp], int]:
    """Clause operations from ``old`` to ``new`` and the number of unchanged clauses."""
    if len(old) == len(new) and all(x.text == y.text for x, y in zip(old, new, strict=True)):
        return [], len(old)
    oh, nh = [c.hash for c in old], [c.hash for c in new]
    if oh == nh:
        return [], len(old)
    done_old: set[int] = set()
    done_new: set[int] = set()
    unchanged = 0
    for block in SequenceMatcher(None, oh, nh, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            done_old.add(block.a + k)
            done_new.add(block.b + k)
            unchanged += 1
    ops: list[ClauseOp] = []
    # moved: the exact words reappear somewhere else
    spare: dict[str, list[int]] = {}
    for i, h in enumerate(oh):
        if i not in done_old:
            spare.setdefault(h, []).append(i)
    for j, h in enumerate(nh):
        if j not in done_new and spare.get(h):
            i = spare[h].pop(0)
            done_old.add(i)
            done_new.add(j)
            ops.append(ClauseOp("moved", old[i], new[j], 1.0))
    rest_old = [i for i in range(len(old)) if i not in done_old]
    rest_new = [j for j in range(len(new)) if j not in done_new]
    sets_old = {i: set(old[i].words) for i in rest_old}
    sets_new = {j: set(new[j].words) for j in rest_new}
    # modified: greedy one-to-one by similarity
    candidates: list[tuple[float, int, int]] = []
    allpairs = len(rest_old) * len(rest_new) <= PAIRWISE_LIMIT
    for r, j in enumerate(rest_new):
        if allpairs:
            window = rest_old
        else:
            centre = r * len(rest_old) // max(1, len(rest_new))
            window = rest_old[max(0, centre - WINDOW) : centre + WINDOW]
        for i in window:
            s = _dice(sets_old[i], sets_new[j])
            if s >= MODIFIED_SIMILARITY:
                candidates.append((s, i, j))
    candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
    paired_old: dict[int, int] = {}
    paired_new: dict[int, int] = {}
    for s, i, j in candidates:
        if i not in paired_old and j not in paired_new:
            paired_old[i], paired_new[j] = j, i
            ops.append(ClauseOp("modified", old[i], new[j], round(s, 4)))
    left_new = [j for j in rest_new if j not in paired_new]
    left_old = [i for i in rest_old if i not in paired_old]
    # a split: a leftover new clause inside a changed old one; a merge: the other way round
    split_from = {j: _best_container(sets_new[j], sets_old, rest_old) for j in left_new}
    merge_into = {i: _best_container(sets_old[i], sets_new, rest_new) for i in left_old}
    for j in left_new:
        i = split_from[j]
        if i is not None:
            paired_new[j] = i
            ops.append(
                ClauseOp("modified", old[i], new[j], round(_dice(sets_old[i], sets_new[j]), 4))
            )
    for i in left_old:
        j = merge_into[i]
        if j is not None:
            paired_old[i] = j
            ops.append(
                ClauseOp("modified", old[i], new[j], round(_dice(sets_old[i], sets_new[j]), 4))
            )
    ops += [ClauseOp("added", None, new[j], None) for j in rest_new if j not in paired_new]
    ops += [ClauseOp("removed", old[i], None, None) for i in rest_old if i not in paired_old]
    ops.sort(key=_op_order)
    return ops, unchanged


def _best_container(part: set[str], wholes: dict[int, set[str]], order: list[int]) -> int | None:
    if len(order) > 2 * WINDOW:  # bounded: a leftover is rare, a huge leftover list rarer
        order = order[: 2 * WINDOW]
    best, best_score = None, CONTAINED
    for k in order:
        score = _contained(part, wholes[k])
        if score >= best_score and (best is None or score > best_score):
            best, best_score = k, score
    return best


def _op_order(op: ClauseOp) -> tuple[int, int, str]:
    new_pos = op.new.position if op.new is not None else -1
    old_pos = op.old.position if op.old is not None else -1
    return (new_pos if new_pos >= 0 else old_pos, old_pos, op.op)


# -- pairs ----------------------------------------------------------------------------------
def _word_diff(a: list[str], b: list[str]) -> tuple[int, int]:
    """(words added, words removed) by a word-level diff."""
    lo = 0
    while lo < len(a) and lo < len(b) and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = len(a), len(b)
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a, hi_b = hi_a - 1, hi_b - 1
    ma, mb = a[lo:hi_a], b[lo:hi_b]
    if not ma or not mb:
        return len(mb), len(ma)
    if len(ma) > WORD_DIFF_LIMIT or len(mb) > WORD_DIFF_LIMIT:
        ca, cb = Counter(ma), Counter(mb)
        return sum((cb - ca).values()), sum((ca - cb).values())
    same = sum(m.size for m in SequenceMatcher(None, ma, mb).get_matching_blocks())
    return len(mb) - same, len(ma) - same


def _changed_words(ops: list[ClauseOp], side: str) -> list[str]:
    clauses = {
        id(c): c
        for op in ops
        for c in ([op.old] if side == "old" else [op.new])
        if c is not None and op.op != "moved"
    }
    out: list[str] = []
    for c in sorted(clauses.values(), key=lambda c: c.position):
        out += c.words
    return out


def _diff_list(before: Sequence[Any], after: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    b, a = set(before or ()), set(after or ())
    return sorted(a - b), sorted(b - a)


def kind_of(a: Version, b: Version, earlier: Sequence[Version] = ()) -> str:
    """The pair's kind (precedence in the module docstring); ``earlier``: the versions
    before ``a``."""
    if a.captured_at == b.captured_at and a.content_digest == b.content_digest:
        return "reextracted"
    if a.text == b.text:
        return "identical"
    if a.words_hash == b.words_hash:
        return "cosmetic"
    if any(v.words_hash == b.words_hash for v in earlier):
        return "revert"
    if a.masked_hash == b.masked_hash:
        return "date_only"
    if distance(a.simhash_value, b.simhash_value) <= NEAR_DUPLICATE_BITS:
        return "near_duplicate"
    return "substantive"


def compare(
    a: Version,
    b: Version,
    earlier: Sequence[Version] = (),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``changes`` row and the ``clause_changes`` rows of one consecutive pair."""
    kind = kind_of(a, b, earlier)
    ops, unchanged = match_clauses(a.clauses, b.clauses)
    if a.text == b.text:
        added = removed = 0
    elif a.clauses and b.clauses:
        added, removed = _word_diff(_changed_words(ops, "old"), _changed_words(ops, "new"))
    else:
        added, removed = _word_diff(a.words, b.words)
    counts = Counter(op.op for op in ops)
    row: dict[str, Any] = {
        "site": b.site,
        "source": b.source,
        "from_policy_id": a.policy_id,
        "to_policy_id": b.policy_id,
        "from_snapshot": a.snapshot,
        "to_snapshot": b.snapshot,
        "from_captured_at": a.captured_at,
        "to_captured_at": b.captured_at,
        "gap_periods": gap_periods(a.snapshot, b.snapshot),
        "kind": kind,
        "simhash_distance": distance(a.simhash_value, b.simhash_value),
        "words_added": added,
        "words_removed": removed,
        "clauses_added": counts["added"],
        "clauses_removed": counts["removed"],
        "clauses_modified": counts["modified"],
        "clauses_unchanged": unchanged + counts["moved"],
    }
    row["categories_gained"], row["categories_lost"] = _diff_list(a.categories, b.categories)
    for name in ATTRIBUTE_NAMES:
        gained, lost = _diff_list(a.attributes.get(name, []), b.attributes.get(name, []))
        row[f"{name}_gained"], row[f"{name}_lost"] = gained, lost
    row["from_stated_date"], row["to_stated_date"] = a.stated_date, b.stated_date
    clause_rows = [
        {
            "site": b.site,
            "from_policy_id": a.policy_id,
            "to_policy_id": b.policy_id,
            "op": op.op,
            "from_clause_id": op.old.clause_id if op.old is not None else None,
            "to_clause_id": op.new.clause_id if op.new is not None else None,
            "similarity": op.similarity,
            "categories_before": list(op.old.categories) if op.old is not None else None,
            "categories_after": list(op.new.categories) if op.new is not None else None,
        }
        for op in ops
    ]
    return row, clause_rows


def site_changes(
    versions: Iterable[Version], only: set[tuple[str, str]] | None = None
) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Rows of every consecutive pair of one site and source (or only of the pair keys in
    ``only``): the same rows however the versions arrived."""
    seq = ordered(versions)
    earlier: list[Version] = []
    for k in range(1, len(seq)):
        a, b = seq[k - 1], seq[k]
        if only is None or (a.policy_id, b.policy_id) in only:
            yield compare(a, b, earlier)
        earlier.append(a)
