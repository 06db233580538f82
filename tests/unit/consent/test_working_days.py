"""Working-day deadlines (weekends, public holidays, make-up workdays) and the data-subject-request lifecycle."""

from __future__ import annotations

import datetime as dt

import pytest

from appcomply.consent.rules import (
    DUE_WORKING_DAYS,
    RequestStatus,
    add_working_days,
    request_due,
    request_transition_problem,
    working_days_between,
)

D = dt.date
# National Day 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are make-up workdays (调休).
HOLIDAYS = frozenset(D(2025, 10, d) for d in range(1, 9))
WORKDAYS = frozenset({D(2025, 9, 28), D(2025, 10, 11)})
NONE: frozenset[dt.date] = frozenset()


def add(start: dt.date, days: int) -> dt.date:
    return add_working_days(start, days, holidays=HOLIDAYS, workdays=WORKDAYS)


def test_counting_starts_the_next_day_and_skips_the_weekend() -> None:
    assert add_working_days(D(2026, 11, 27), 1, holidays=NONE, workdays=NONE) == D(2026, 11, 30)  # Fri -> Mon
    assert add_working_days(D(2026, 11, 28), 1, holidays=NONE, workdays=NONE) == D(2026, 11, 30)  # Sat -> Mon


def test_zero_days_is_the_start_day() -> None:
    assert add(D(2025, 10, 4), 0) == D(2025, 10, 4)


def test_a_make_up_sunday_is_a_working_day() -> None:
    assert add(D(2025, 9, 26), 1) == D(2025, 9, 28)


def test_public_holidays_are_skipped_and_a_make_up_saturday_counts() -> None:
    assert add(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add(D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_a_request_is_due_15_working_days_later() -> None:
    assert DUE_WORKING_DAYS == 15
    assert request_due(D(2026, 11, 2), holidays=NONE, workdays=NONE) == D(2026, 11, 23)
    # Sep 28 (Sun), 29, 30; Oct 1-8 off; Oct 9, 10, 11 (Sat); 13-17; 20-23: the 15th is Thursday 23 October.
    assert request_due(D(2025, 9, 26), holidays=HOLIDAYS, workdays=WORKDAYS) == D(2025, 10, 23)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add(D(2025, 10, 1), -1)


def test_a_date_both_holiday_and_workday_is_refused() -> None:
    with pytest.raises(ValueError, match="2025-10-01"):
        add_working_days(D(2025, 9, 1), 1, holidays=HOLIDAYS, workdays=frozenset({D(2025, 10, 1)}))
    with pytest.raises(ValueError, match="2025-10-01"):
        working_days_between(D(2025, 9, 1), D(2025, 9, 2), holidays=HOLIDAYS, workdays=frozenset({D(2025, 10, 1)}))


def test_working_days_between_counts_after_a_up_to_b_and_is_signed() -> None:
    between = lambda a, b: working_days_between(a, b, holidays=HOLIDAYS, workdays=WORKDAYS)  # noqa: E731
    assert between(D(2025, 9, 30), D(2025, 10, 11)) == 3
    assert between(D(2025, 10, 11), D(2025, 9, 30)) == -3
    assert between(D(2025, 10, 2), D(2025, 10, 2)) == 0


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestStatus.RECEIVED, RequestStatus.VERIFYING),
        (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS),
        (RequestStatus.VERIFYING, RequestStatus.IN_PROGRESS),
        (RequestStatus.VERIFYING, RequestStatus.REJECTED),
        (RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED),
        (RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED),
    ],
)
def test_requests_move_forward(current: RequestStatus, target: RequestStatus) -> None:
    assert request_transition_problem(current, target) is None


@pytest.mark.parametrize("closed", [RequestStatus.COMPLETED, RequestStatus.REJECTED, RequestStatus.CANCELLED])
@pytest.mark.parametrize("target", list(RequestStatus))
def test_closed_requests_stay_closed(closed: RequestStatus, target: RequestStatus) -> None:
    assert request_transition_problem(closed, target) == "consent.request_closed"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestStatus.IN_PROGRESS, RequestStatus.RECEIVED),
        (RequestStatus.IN_PROGRESS, RequestStatus.VERIFYING),
        (RequestStatus.RECEIVED, RequestStatus.COMPLETED),
        (RequestStatus.RECEIVED, RequestStatus.RECEIVED),
    ],
)
def test_requests_do_not_skip_or_go_back(current: RequestStatus, target: RequestStatus) -> None:
    assert request_transition_problem(current, target) == "consent.request_transition_invalid"
