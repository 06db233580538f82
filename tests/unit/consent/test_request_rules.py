"""Pure rules of data-subject requests: due dates on the working-day calendar, dated in Beijing, and holds."""

from __future__ import annotations

import datetime as dt

import pytest

from appcomply.consent import rules
from appcomply.settings import ConsentSettings

K = rules.RequestKind
FRIDAY_MORNING = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # Friday 11:00 in Beijing


def test_the_due_date_skips_weekends() -> None:
    assert rules.WorkCalendar().due(FRIDAY_MORNING) == dt.date(2026, 12, 18)


def test_a_configured_holiday_pushes_the_due_date_and_a_make_up_workday_pulls_it_back() -> None:
    holiday = rules.WorkCalendar(holidays=frozenset({dt.date(2026, 12, 1)}))
    assert holiday.due(FRIDAY_MORNING) == dt.date(2026, 12, 21)
    makeup = rules.WorkCalendar(holidays=frozenset({dt.date(2026, 12, 1)}), workdays=frozenset({dt.date(2026, 12, 5)}))
    assert makeup.due(FRIDAY_MORNING) == dt.date(2026, 12, 18)


def test_receipt_is_dated_in_beijing() -> None:
    late_friday = dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)  # already Saturday 01:00 in Beijing
    assert rules.beijing_date(late_friday) == dt.date(2026, 11, 28)
    assert rules.WorkCalendar().due(late_friday) == dt.date(2026, 12, 18)
    with pytest.raises(ValueError, match="aware"):
        rules.beijing_date(dt.datetime(2026, 11, 27, 17, 0))  # noqa: DTZ001 - the naive value is the point


def test_days_left_count_down_to_zero_and_below() -> None:
    calendar = rules.WorkCalendar()
    due = calendar.due(FRIDAY_MORNING)
    assert calendar.days_left(FRIDAY_MORNING, due) == rules.DUE_WORKING_DAYS
    assert calendar.days_left(dt.datetime(2026, 12, 18, 2, 0, tzinfo=dt.UTC), due) == 0
    assert calendar.days_left(dt.datetime(2026, 12, 21, 2, 0, tzinfo=dt.UTC), due) == -1


@pytest.mark.parametrize("kind", list(K))
def test_a_hold_blocks_only_deletion_and_cancellation(kind: rules.RequestKind) -> None:
    assert rules.hold_blocks(kind, hold_active=True) is (kind in {K.DELETION, K.CANCELLATION})
    assert rules.hold_blocks(kind, hold_active=False) is False


def test_the_calendar_settings_refuse_a_day_that_is_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="both holiday"):
        ConsentSettings(holidays=[dt.date(2027, 2, 7)], workdays=[dt.date(2027, 2, 7)])
    assert ConsentSettings().holidays == []
