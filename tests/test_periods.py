from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.history.periods import (
    DateArgError,
    parse_date_arg,
    parse_ts14,
    period_of,
    plan_periods,
)


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2005", False, datetime(2005, 1, 1, tzinfo=UTC)),
        ("2014", True, datetime(2015, 1, 1, tzinfo=UTC)),
        ("20050615", False, datetime(2005, 6, 15, tzinfo=UTC)),
        ("20050615", True, datetime(2005, 6, 16, tzinfo=UTC)),
        ("2005-06-15", False, datetime(2005, 6, 15, tzinfo=UTC)),
        ("200512", True, datetime(2006, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_date_arg(value: str, end: bool, expected: datetime) -> None:
    assert parse_date_arg(value, end=end) == expected


@pytest.mark.parametrize("bad", ["05", "2005-13", "20050231", "last year", ""])
def test_parse_date_arg_refuses(bad: str) -> None:
    with pytest.raises(DateArgError):
        parse_date_arg(bad)


@pytest.mark.parametrize(
    ("every", "label"),
    [("half", "2009H2"), ("year", "2009"), ("quarter", "2009Q4"), ("month", "2009-12")],
)
def test_period_labels(every: str, label: str) -> None:
    p = period_of(datetime(2009, 12, 18, 2, 45, 8, tzinfo=UTC), every)
    assert p.label == label
    assert p.contains(datetime(2009, 12, 18, tzinfo=UTC))


def test_plan_half_years_cover_the_range_without_gaps() -> None:
    periods = plan_periods(parse_date_arg("2005"), parse_date_arg("2014", end=True))
    assert [p.label for p in periods][:3] == ["2005H1", "2005H2", "2006H1"]
    assert len(periods) == 20
    for a, b in zip(periods, periods[1:], strict=False):
        assert a.end == b.start
    assert periods[0].to_ts == "20050630235959"


def test_plan_clips_to_the_requested_dates() -> None:
    periods = plan_periods(parse_date_arg("20050615"), parse_date_arg("20050715", end=True))
    assert [(p.label, p.start.day, p.end.day) for p in periods] == [
        ("2005H1", 15, 1),
        ("2005H2", 1, 16),
    ]


def test_to_before_from_is_refused() -> None:
    with pytest.raises(DateArgError):
        plan_periods(parse_date_arg("2010"), parse_date_arg("2005"))


def test_short_timestamps_pad_to_unit_start() -> None:
    assert parse_ts14("2009") == datetime(2009, 1, 1, tzinfo=UTC)
    assert parse_ts14("20091218024508") == datetime(2009, 12, 18, 2, 45, 8, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_ts14("20x9")
