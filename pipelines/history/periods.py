"""Snapshot periods: how a run slices time (half, year, quarter, month, capture).

A snapshot label names a period: ``2009H2``, ``2009``, ``2009Q3``, ``2009-07``; with
``every="capture"`` each distinct version is its own snapshot, labelled by its 14-digit
capture timestamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EVERY_CHOICES = ("half", "year", "quarter", "month", "capture")

_DATE_RE = re.compile(r"^(\d{4})(?:-?(\d{2}))?(?:-?(\d{2}))?$")


class DateArgError(ValueError):
    """A --from/--to value that is not a year or a date."""


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    @property
    def midpoint(self) -> datetime:
        return self.start + (self.end - self.start) / 2

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end

    @property
    def from_ts(self) -> str:
        return self.start.strftime("%Y%m%d%H%M%S")

    @property
    def to_ts(self) -> str:
        # CDX `to` is inclusive: the last second of the period
        return (self.end - timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")


def parse_date_arg(value: str, *, end: bool = False) -> datetime:
    """``2005`` / ``200506`` / ``20050615`` / ``2005-06-15`` → UTC datetime.

    With ``end=True`` the result is the exclusive end of the named year, month or day, so
    ``--to 2014`` includes all of 2014.
    """
    m = _DATE_RE.match(value.strip())
    if not m:
        raise DateArgError(f"not a year or date (expected 2005, 200506 or 20050615): {value!r}")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if day is not None:
            start = datetime(year, int(month), int(day), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        if month is not None:
            start = datetime(year, int(month), 1, tzinfo=UTC)
            return _add_months(start, 1) if end else start
        start = datetime(year, 1, 1, tzinfo=UTC)
        return datetime(year + 1, 1, 1, tzinfo=UTC) if end else start
    except ValueError as exc:
        raise DateArgError(f"invalid date {value!r}: {exc}") from exc


def _add_months(d: datetime, months: int) -> datetime:
    y, m = divmod(d.month - 1 + months, 12)
    return d.replace(year=d.year + y, month=m + 1, day=1)


def _period_start(when: datetime, every: str) -> tuple[datetime, int, str]:
    """Start of the period holding ``when``, its length in months and its label."""
    y, m = when.year, when.month
    if every == "year":
        return datetime(y, 1, 1, tzinfo=UTC), 12, f"{y}"
    if every in ("half", "capture"):
        h = 1 if m <= 6 else 2
        return datetime(y, 1 if h == 1 else 7, 1, tzinfo=UTC), 6, f"{y}H{h}"
    if every == "quarter":
        q = (m - 1) // 3 + 1
        return datetime(y, 3 * (q - 1) + 1, 1, tzinfo=UTC), 3, f"{y}Q{q}"
    if every == "month":
        return datetime(y, m, 1, tzinfo=UTC), 1, f"{y}-{m:02d}"
    raise ValueError(f"unknown period {every!r}; choose one of {', '.join(EVERY_CHOICES)}")


def period_of(when: datetime, every: str = "half") -> Period:
    """The period that holds ``when`` (a live fetch falls into the period of its date)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    start, months, label = _period_start(when.astimezone(UTC), every)
    return Period(label, start, _add_months(start, months))


def plan_periods(start: datetime, end: datetime, every: str = "half") -> list[Period]:
    """Periods covering [start, end), clipped to it. ``capture`` plans half-years for discovery."""
    if end <= start:
        raise DateArgError("--to must be after --from")
    periods: list[Period] = []
    cur = start
    while cur < end:
        p = period_of(cur, every)
        periods.append(Period(p.label, max(p.start, start), min(p.end, end)))
        cur = p.end
    return periods


def ts14(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_ts14(ts: str) -> datetime:
    """A CDX timestamp (1–14 digits; shorter ones pad to the start of the unit) → UTC datetime."""
    if not ts.isdigit() or not 4 <= len(ts) <= 14:
        raise ValueError(f"bad archive timestamp: {ts!r}")
    padded = ts + "0101000000"[len(ts) - 4 :] if len(ts) < 14 else ts
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


_LABEL_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})H([12])$"), "half"),
    (re.compile(r"^(\d{4})Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{14})$"), "capture"),
)


def period_of_label(label: str | int) -> Period | None:
    """The period a snapshot label names (``2009H2``, ``2009Q3``, ``2009-07``, ``2009``, or a
    14-digit capture timestamp, which is a one-second period); None for other labels."""
    text = str(label).strip()
    for pattern, every in _LABEL_RES:
        m = pattern.match(text)
        if not m:
            continue
        if every == "capture":
            try:
                start = parse_ts14(text)
            except ValueError:
                return None
            return Period(text, start, start + timedelta(seconds=1))
        year, n = int(m[1]), int(m[2]) if every != "year" else 1
        month = {"half": 6 * (n - 1) + 1, "quarter": 3 * (n - 1) + 1}.get(every, n)
        if not 1 <= month <= 12:
            return None
        return period_of(datetime(year, month, 1, tzinfo=UTC), every)
    return None


def snapshot_sort_key(label: str | int) -> tuple[int, datetime, str]:
    """Sort key putting snapshot labels in time order (2009H2 < 2010H1 < 2010Q1 ...);
    labels that name no period (``all``) sort last, alphabetically."""
    p = period_of_label(label)
    if p is None:
        return (1, datetime.max.replace(tzinfo=UTC), str(label))
    return (0, p.start, str(label))
