"""The pure rules of Art 10: workflow transitions, the clocks counted from intake, alerts, the disclosure and
sharing gates of VR 9, receipt retention, and what the receipt log may show of a source or a contact."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import (
    DisclosureBlocked,
    ForeignSharingRefused,
    InvalidTransition,
    RetentionTooShort,
)
from appcomply.vulnerabilities.rules import ClockStatus, State

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_the_workflow_runs_from_intake_to_disclosure() -> None:
    path = [State.RECEIVED, State.TRIAGED, State.CONFIRMED, State.FIXING, State.FIXED, State.DISCLOSED]
    for current, target in itertools.pairwise(path):
        rules.check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (State.RECEIVED, State.FIXED),  # no fix before it is confirmed
        (State.RECEIVED, State.DISCLOSED),
        (State.TRIAGED, State.DISCLOSED),
        (State.CONFIRMED, State.DISCLOSED),  # never published before the fix (VR 9(1))
        (State.DISCLOSED, State.FIXING),  # final
        (State.DUPLICATE, State.TRIAGED),  # final
    ],
)
def test_a_step_out_of_order_is_refused_and_names_the_allowed_ones(current: State, target: State) -> None:
    with pytest.raises(InvalidTransition) as raised:
        rules.check_transition(current, target)
    assert raised.value.fields == {"current": current.value, "target": target.value}


def test_only_the_fixed_state_leads_to_disclosure() -> None:
    assert [s for s in State if State.DISCLOSED in rules.TRANSITIONS[s]] == [State.FIXED]


def test_the_miit_report_is_due_48_hours_after_intake_and_24_when_national_security_is_touched() -> None:
    assert rules.report_due(T0, national_security=False) == T0 + dt.timedelta(hours=48)
    assert rules.report_due(T0, national_security=True) == T0 + dt.timedelta(hours=24)


@pytest.mark.parametrize(
    ("submitted", "waived", "now", "status"),
    [
        (None, False, T0 + dt.timedelta(hours=47), ClockStatus.OPEN),
        (None, False, T0 + dt.timedelta(hours=48), ClockStatus.OPEN),  # due at, not after
        (None, False, T0 + dt.timedelta(hours=48, seconds=1), ClockStatus.MISSED),
        (T0 + dt.timedelta(hours=10), False, T0 + dt.timedelta(hours=100), ClockStatus.MET),
        (T0 + dt.timedelta(hours=49), False, T0 + dt.timedelta(hours=100), ClockStatus.MISSED),  # late is missed
        (None, True, T0 + dt.timedelta(hours=100), ClockStatus.NOT_REQUIRED),
    ],
)
def test_a_clock_is_open_met_missed_or_not_required(
    submitted: dt.datetime | None, waived: bool, now: dt.datetime, status: ClockStatus
) -> None:
    due = T0 + dt.timedelta(hours=48)
    assert rules.clock_status(due_at=due, submitted_at=submitted, waived=waived, now=now) is status


def test_alerts_fire_at_half_and_ninety_percent_once_each() -> None:
    due = T0 + dt.timedelta(hours=48)
    assert rules.alerts_due(started_at=T0, due_at=due, sent=0, now=T0 + dt.timedelta(hours=23)) == ()
    assert rules.alerts_due(started_at=T0, due_at=due, sent=0, now=T0 + dt.timedelta(hours=24)) == (0.5,)
    assert rules.alerts_due(started_at=T0, due_at=due, sent=1, now=T0 + dt.timedelta(hours=30)) == ()
    assert rules.alerts_due(started_at=T0, due_at=due, sent=1, now=T0 + dt.timedelta(hours=44)) == (0.9,)
    assert rules.alerts_due(started_at=T0, due_at=due, sent=0, now=T0 + dt.timedelta(hours=44)) == (0.5, 0.9)
    assert rules.alerts_due(started_at=T0, due_at=due, sent=2, now=T0 + dt.timedelta(hours=60)) == ()


@given(st.integers(min_value=0, max_value=200 * 3600), st.integers(min_value=0, max_value=2))
def test_alerts_never_repeat_and_never_exceed_the_thresholds(seconds: int, sent: int) -> None:
    due = T0 + dt.timedelta(hours=48)
    fired = rules.alerts_due(started_at=T0, due_at=due, sent=sent, now=T0 + dt.timedelta(seconds=seconds))
    assert len(fired) + sent <= len(rules.ALERT_FRACTIONS)
    assert list(fired) == sorted(fired)


def test_disclosure_needs_the_fixed_state_and_the_released_fix() -> None:
    released = T0 + dt.timedelta(days=3)
    rules.check_disclosable(state=State.FIXED, fixed_version="5.2.3", fix_released_at=released)
    with pytest.raises(DisclosureBlocked, match="VR 9"):
        rules.check_disclosable(state=State.FIXING, fixed_version="5.2.3", fix_released_at=released)
    with pytest.raises(DisclosureBlocked, match="fix_released_at"):
        rules.check_disclosable(state=State.FIXED, fixed_version="5.2.3", fix_released_at=None)
    with pytest.raises(DisclosureBlocked):
        rules.check_disclosable(state=State.FIXED, fixed_version=None, fix_released_at=released)


def test_sharing_abroad_before_disclosure_is_refused_unless_the_recipient_provides_the_product() -> None:
    with pytest.raises(ForeignSharingRefused, match=r"VR 9\(7\)") as raised:
        rules.check_sharing(state=State.CONFIRMED, country="us", recipient_is_provider=False)
    assert raised.value.fields == {"country": "US"}
    rules.check_sharing(state=State.CONFIRMED, country="US", recipient_is_provider=True)  # the SDK vendor
    rules.check_sharing(state=State.CONFIRMED, country="cn", recipient_is_provider=False)
    rules.check_sharing(state=State.DISCLOSED, country="US", recipient_is_provider=False)


def test_receipt_retention_under_six_months_is_refused() -> None:
    assert rules.check_receipt_retention(183) == 183
    with pytest.raises(RetentionTooShort):
        rules.check_receipt_retention(182)


def test_the_receipt_log_shows_a_network_not_an_address() -> None:
    assert rules.mask_source("203.0.113.77") == "203.0.113.0/24"
    assert rules.mask_source("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert rules.mask_source("not-an-ip") == "unknown"
    assert rules.mask_source(None) is None


@pytest.mark.parametrize(
    ("contact", "masked"),
    [("alice@example.com", "a***@example.com"), ("+86 138 0013 8000", "861****8000"), ("wx_alice", "w***")],
)
def test_a_contact_is_masked_to_what_tells_two_apart(contact: str, masked: str) -> None:
    assert rules.mask_contact(contact) == masked


def test_the_summary_hash_is_stable_and_order_independent() -> None:
    a = rules.summary_hash({"title": "XSS", "description": "评论区存在存储型 XSS"})
    b = rules.summary_hash({"description": "评论区存在存储型 XSS", "title": "XSS"})
    assert a == b
    assert a != rules.summary_hash({"title": "XSS", "description": "评论区存在反射型 XSS"})
