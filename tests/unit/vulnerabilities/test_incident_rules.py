"""The pure rules of the 2025 Incident Reporting Measures: which grades are reported, within how many hours for
which operator, counted from detection; the summary 30 days after handling; open → handled → closed."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appcomply.settings import VulnerabilitiesSettings
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import (
    IncidentClosed,
    IncidentReportsPending,
    IncidentTimeInvalid,
    InvalidIncidentTransition,
)
from appcomply.vulnerabilities.rules import ClockKind, ClockOwner, IncidentGrade, IncidentState, OperatorClass

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
instants = st.datetimes(
    # hypothesis bounds are naive by its API; the values drawn are aware (UTC).
    min_value=dt.datetime(2025, 11, 1),  # noqa: DTZ001
    max_value=dt.datetime(2035, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
grades = st.sampled_from(IncidentGrade)
operators = st.sampled_from(OperatorClass)


@pytest.mark.parametrize(
    ("operator", "hours"), [(OperatorClass.CII, 1), (OperatorClass.STATE_ORGAN, 2), (OperatorClass.OTHER, 4)]
)
def test_a_relatively_major_incident_is_due_1_2_or_4_hours_after_detection_by_operator(
    operator: OperatorClass, hours: int
) -> None:
    due = rules.incident_report_due(T0, grade=IncidentGrade.RELATIVELY_MAJOR, operator_class=operator)
    assert due == T0 + dt.timedelta(hours=hours)


@given(detected=instants, grade=grades, operator=operators)
def test_the_report_is_due_only_for_relatively_major_and_worse_and_never_later_than_4_hours(
    detected: dt.datetime, grade: IncidentGrade, operator: OperatorClass
) -> None:
    due = rules.incident_report_due(detected, grade=grade, operator_class=operator)
    if grade is IncidentGrade.GENERAL:
        assert due is None
    else:
        assert due is not None
        assert detected < due <= detected + dt.timedelta(hours=4)
        assert due - detected == dt.timedelta(hours=rules.REPORT_HOURS[operator])


@given(grade=grades, has_clock=st.booleans())
def test_a_regrade_opens_the_report_clock_once_and_a_downgrade_never_closes_it(
    grade: IncidentGrade, has_clock: bool
) -> None:
    opens = rules.opens_report_clock(grade, has_report_clock=has_clock)
    assert opens == (grade in rules.REPORTABLE_GRADES and not has_clock)
    # Whoever was reported to gets the summary, even when the grade went down since.
    assert rules.summary_required(grade, has_report_clock=has_clock) == (
        has_clock or grade is not IncidentGrade.GENERAL
    )


@given(handled=instants)
def test_the_summary_is_due_30_days_after_handling_ends(handled: dt.datetime) -> None:
    assert rules.incident_summary_due(handled) - handled == dt.timedelta(days=30)


@given(
    detected=instants,
    operator=operators,
    elapsed=st.timedeltas(dt.timedelta(0), dt.timedelta(hours=5)),
)
def test_the_alerts_of_an_incident_clock_fall_at_half_and_ninety_percent_of_its_hours(
    detected: dt.datetime, operator: OperatorClass, elapsed: dt.timedelta
) -> None:
    due = rules.incident_report_due(detected, grade=IncidentGrade.MAJOR, operator_class=operator)
    assert due is not None
    reached = rules.alerts_due(started_at=detected, due_at=due, sent=0, now=detected + elapsed)
    span = due - detected
    assert reached == tuple(f for f in rules.ALERT_FRACTIONS if elapsed >= span * f)


def test_a_cii_incident_alerts_at_30_minutes() -> None:
    due = rules.incident_report_due(T0, grade=IncidentGrade.MAJOR, operator_class=OperatorClass.CII)
    assert due is not None
    assert rules.alerts_due(started_at=T0, due_at=due, sent=0, now=T0 + dt.timedelta(minutes=29)) == ()
    assert rules.alerts_due(started_at=T0, due_at=due, sent=0, now=T0 + dt.timedelta(minutes=30)) == (0.5,)


def test_an_incident_runs_open_handled_closed_and_never_back() -> None:
    rules.check_incident_transition(IncidentState.OPEN, IncidentState.HANDLED)
    rules.check_incident_transition(IncidentState.HANDLED, IncidentState.CLOSED)
    for current, target in [
        (IncidentState.OPEN, IncidentState.CLOSED),
        (IncidentState.HANDLED, IncidentState.OPEN),
        (IncidentState.CLOSED, IncidentState.OPEN),
    ]:
        with pytest.raises(InvalidIncidentTransition):
            rules.check_incident_transition(current, target)


def test_the_grade_changes_only_while_open_and_nothing_changes_once_closed() -> None:
    rules.check_incident_changeable(IncidentState.OPEN, regrade=True)
    rules.check_incident_changeable(IncidentState.HANDLED, regrade=False)
    with pytest.raises(InvalidIncidentTransition):
        rules.check_incident_changeable(IncidentState.HANDLED, regrade=True)
    with pytest.raises(IncidentClosed):
        rules.check_incident_changeable(IncidentState.CLOSED, regrade=False)


def test_closing_with_the_summary_outstanding_is_refused_and_names_it() -> None:
    rules.check_closable([])
    with pytest.raises(IncidentReportsPending, match="summary report") as raised:
        rules.check_closable([ClockKind.INCIDENT_SUMMARY])
    assert raised.value.fields == {"pending": ["incident_summary"]}


def test_times_must_be_in_order_and_not_in_the_future() -> None:
    rules.check_incident_times(detected_at=T0, now=T0, handled_at=T0)
    with pytest.raises(IncidentTimeInvalid):
        rules.check_incident_times(detected_at=T0 + dt.timedelta(seconds=1), now=T0)
    with pytest.raises(IncidentTimeInvalid):
        rules.check_incident_times(detected_at=T0, now=T0 + dt.timedelta(hours=1), handled_at=T0 - dt.timedelta(1))


def test_each_clock_kind_belongs_to_one_kind_of_owner() -> None:
    assert ClockKind.MIIT_REPORT.owner is ClockOwner.VULNERABILITY
    assert {ClockKind.INCIDENT_REPORT.owner, ClockKind.INCIDENT_SUMMARY.owner} == {ClockOwner.INCIDENT}


def test_the_operator_class_setting_offers_exactly_the_rules_classes() -> None:
    annotation = VulnerabilitiesSettings.model_fields["operator_class"].annotation
    assert set(typing.get_args(annotation)) == {c.value for c in OperatorClass}
    assert VulnerabilitiesSettings().operator_class == OperatorClass.OTHER
