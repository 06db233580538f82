"""Properties: basic functions survive every refusal for all 39 app types (CPI-04), and working-day arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appcomply.apps.rules import load_catalogue
from appcomply.consent.rules import (
    Activity,
    ConsentAction,
    LedgerEvent,
    LegalBasis,
    Recipient,
    RecipientKind,
    SeparateConsent,
    add_working_days,
    analyse,
    current_state,
    decide,
    load_pi_catalogue,
    separate_subject,
    working_days_between,
)

CATALOGUE, PI = load_catalogue(), load_pi_catalogue()
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def necessary_of(code: int) -> tuple[str, ...]:
    return tuple(entry.item for entry in CATALOGUE.get(code).necessary_pi)


@st.composite
def extended(draw: st.DrawFn, code: int, index: int) -> Activity:
    optional = sorted(set(PI.items) - set(necessary_of(code)))
    items = draw(st.lists(st.sampled_from(optional), min_size=1, max_size=4, unique=True))
    recipients = draw(
        st.lists(
            st.builds(
                Recipient,
                name=st.just("Partner"),
                kind=st.sampled_from(RecipientKind),
                pi_items=st.just(tuple(items[:1])),
                purpose=st.just("analytics"),
                disclosed=st.booleans(),
                cross_border=st.booleans(),
            ),
            max_size=2,
        )
    )
    return Activity(
        key=f"extended_{index}",
        feature="extra",
        purpose=f"purpose {index}",
        pi_items=tuple(items),
        basis=draw(st.sampled_from([LegalBasis.CONSENT, LegalBasis.CONTRACT])),
        basic_type=draw(st.sampled_from([None, code])),  # a "basic" activity on unnecessary PI needs consent too
        choice=draw(st.sampled_from([None, "onboarding", f"choice_{index}"])),
        separate=draw(st.frozensets(st.sampled_from(SeparateConsent))),
        recipients=tuple(recipients),
        retention="1 year",
    )


@st.composite
def processing_map(draw: st.DrawFn, code: int) -> tuple[Activity, list[Activity]]:
    basic = Activity(
        key="basic",
        feature="basic",
        purpose=CATALOGUE.get(code).basic_function_en,
        pi_items=necessary_of(code),
        basis=draw(st.sampled_from([LegalBasis.CONSENT, LegalBasis.CONTRACT])),
        basic_type=code,
        choice=None,
        separate=frozenset(),
        recipients=(),
        retention="until the account is cancelled",
    )
    count = draw(st.integers(min_value=0, max_value=4))
    return basic, [draw(extended(code, i)) for i in range(count)]


@st.composite
def refusals(draw: st.DrawFn, activities: list[Activity]) -> dict[str, ConsentAction]:
    """Any ledger of refusals and withdrawals, with separate consents possibly granted."""
    keys = [a.key for a in activities]
    separate = [separate_subject(k, kind) for k in keys for kind in SeparateConsent]
    events = draw(
        st.lists(
            st.one_of(
                st.tuples(st.sampled_from(keys), st.sampled_from([ConsentAction.REFUSED, ConsentAction.WITHDRAWN])),
                st.tuples(st.sampled_from(separate), st.sampled_from(ConsentAction)),
            ),
            max_size=20,
        )
    )
    return current_state(LedgerEvent(s, a, T0 + dt.timedelta(seconds=i)) for i, (s, a) in enumerate(events))


@pytest.mark.parametrize("code", list(CATALOGUE.types))
@settings(max_examples=10, deadline=None)
@given(data=st.data(), age=st.one_of(st.none(), st.integers(0, 90)), guardian=st.booleans())
def test_basic_function_survives_every_refusal_and_extended_ones_need_a_grant(
    code: int, data: st.DataObject, age: int | None, guardian: bool
) -> None:
    basic, extras = data.draw(processing_map(code))
    states = data.draw(refusals([basic, *extras]))

    def check(activity: Activity) -> bool:
        return decide(
            activity,
            app_types=(code,),
            catalogue=CATALOGUE,
            pi_catalogue=PI,
            states=states,
            age=age,
            guardian_consent=guardian,
            policy_in_force=True,
        ).allowed

    assert check(basic)
    assert not any(check(extra) for extra in extras)
    findings = analyse((code,), [basic, *extras], catalogue=CATALOGUE, pi_catalogue=PI)
    assert not [f for f in findings if f.activity_key == "basic" and f.severity == "error"]


@st.composite
def calendars(draw: st.DrawFn) -> tuple[dt.date, frozenset[dt.date], frozenset[dt.date]]:
    """A start day with holidays and make-up workdays in the 100 days after it, where results land."""
    start = draw(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)))
    near = st.integers(0, 100).map(lambda n: start + dt.timedelta(days=n))
    holidays = draw(st.frozensets(near, max_size=40))
    weekend = draw(st.frozensets(near.filter(lambda d: d.weekday() >= 5), max_size=10))
    return start, holidays, weekend - holidays


@settings(max_examples=100)
@given(days=st.integers(0, 60), calendar=calendars())
def test_working_days_land_on_working_days_and_grow_with_days(
    days: int, calendar: tuple[dt.date, frozenset[dt.date], frozenset[dt.date]]
) -> None:
    start, holidays, workdays = calendar
    due = add_working_days(start, days, holidays=holidays, workdays=workdays)
    later = add_working_days(start, days + 1, holidays=holidays, workdays=workdays)
    assert later > due >= start
    assert later not in holidays
    assert later.weekday() < 5 or later in workdays
    assert working_days_between(start, due, holidays=holidays, workdays=workdays) == days
