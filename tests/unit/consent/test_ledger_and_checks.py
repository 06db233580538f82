"""Consent-ledger state, allowed transitions, and the consent check with every reason it denies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from appcomply.apps.rules import load_catalogue
from appcomply.consent.rules import (
    Activity,
    CheckDecision,
    ConsentAction,
    LedgerEvent,
    LegalBasis,
    SeparateConsent,
    activity_key_problem,
    current_state,
    decide,
    load_pi_catalogue,
    recorded_action,
    separate_subject,
    transition_problem,
)
from tests.unit.consent.builders import act, recipient

G, R, W = ConsentAction.GRANTED, ConsentAction.REFUSED, ConsentAction.WITHDRAWN
T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
NAVIGATE = act("navigate", "location", "destination", basis=LegalBasis.CONTRACT, basic_type=1)
ADS = act("ads", "device_id")
FRIENDS = act("find_friends", "contacts", separate=frozenset({SeparateConsent.SENSITIVE}))
SHARED = act("ads_shared", "device_id", recipients=(recipient("Ad SDK", "device_id"),))


def check(
    activity: Activity,
    states: Mapping[str, ConsentAction] | None = None,
    *,
    age: int | None = None,
    guardian_consent: bool = False,
    policy_in_force: bool = True,
) -> CheckDecision:
    return decide(
        activity,
        app_types=(1,),
        catalogue=load_catalogue(),
        pi_catalogue=load_pi_catalogue(),
        states=states or {},
        age=age,
        guardian_consent=guardian_consent,
        policy_in_force=policy_in_force,
    )


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_current_state_is_the_latest_action_per_subject_by_time() -> None:
    events = [LedgerEvent("ads", W, at(5)), LedgerEvent("ads", G, at(1)), LedgerEvent("friends", R, at(2))]
    assert current_state(events) == {"ads": W, "friends": R}


def test_events_at_the_same_instant_keep_ledger_order() -> None:
    assert current_state([LedgerEvent("ads", G, at(1)), LedgerEvent("ads", W, at(1))]) == {"ads": W}


@pytest.mark.parametrize("current", [None, R, W])
def test_withdrawing_what_is_not_granted_is_refused(current: ConsentAction | None) -> None:
    assert transition_problem(current, W) == "consent.not_granted_cannot_withdraw"


@pytest.mark.parametrize(("current", "new"), [(None, G), (None, R), (G, W), (W, G), (R, G), (G, G), (G, R), (W, R)])
def test_other_transitions_are_allowed(current: ConsentAction | None, new: ConsentAction) -> None:
    assert transition_problem(current, new) is None


def test_refusing_a_standing_grant_is_recorded_as_a_withdrawal() -> None:
    assert recorded_action(G, R) is W
    assert recorded_action(None, R) is R
    assert recorded_action(W, R) is R
    assert recorded_action(W, G) is G


def test_separate_consent_subjects_are_scoped_to_their_activity() -> None:
    assert separate_subject("find_friends", SeparateConsent.SENSITIVE) == "find_friends#sensitive"
    assert activity_key_problem("find_friends") is None
    assert activity_key_problem("find_friends#sensitive") is not None
    assert activity_key_problem("Ads") is not None


def test_a_basic_function_on_necessary_pi_is_allowed_on_contract_after_every_refusal() -> None:
    decision = check(NAVIGATE, {"navigate": W, "ads": R}, age=10)
    assert decision == CheckDecision(allowed=True, basis=LegalBasis.CONTRACT, reason=None)


def test_nothing_but_a_legal_duty_or_emergency_runs_without_a_privacy_policy() -> None:
    assert check(NAVIGATE, policy_in_force=False).reason == "consent.policy_missing"
    assert check(ADS, {"ads": G}, policy_in_force=False).reason == "consent.policy_missing"
    logs = act("security_logs", "ip_address", basis=LegalBasis.LEGAL_DUTY)
    assert check(logs, policy_in_force=False) == CheckDecision(True, LegalBasis.LEGAL_DUTY, None)
    news = act("report", "name", basis=LegalBasis.NEWS_PUBLIC_INTEREST)
    assert check(news, policy_in_force=False).reason == "consent.policy_missing"


def test_a_child_under_14_needs_a_guardian_for_consent_based_processing() -> None:
    assert check(ADS, {"ads": G}, age=13).reason == "consent.guardian_required"
    assert check(ADS, {"ads": G}, age=13, guardian_consent=True).allowed
    assert check(ADS, {"ads": G}, age=14).allowed


@pytest.mark.parametrize(
    ("state", "reason"), [(None, "consent.not_granted"), (R, "consent.refused"), (W, "consent.withdrawn")]
)
def test_consent_processing_needs_a_standing_grant(state: ConsentAction | None, reason: str) -> None:
    decision = check(ADS, {} if state is None else {"ads": state})
    assert decision == CheckDecision(allowed=False, basis=None, reason=reason)


def test_a_grant_allows_consent_processing() -> None:
    assert check(ADS, {"ads": G}) == CheckDecision(allowed=True, basis=LegalBasis.CONSENT, reason=None)


def test_sensitive_pi_needs_its_separate_consent_granted() -> None:
    decision = check(FRIENDS, {"find_friends": G})
    assert (decision.allowed, decision.reason, decision.missing) == (False, "consent.separate_required", ("sensitive",))
    assert check(FRIENDS, {"find_friends": G, "find_friends#sensitive": G}).allowed
    assert not check(FRIENDS, {"find_friends": G, "find_friends#sensitive": W}).allowed


def test_a_separate_consent_granted_for_another_activity_does_not_count() -> None:
    assert check(FRIENDS, {"find_friends": G, "other#sensitive": G}).missing == ("sensitive",)


def test_a_required_separate_consent_the_map_forgot_is_still_required() -> None:
    decision = check(SHARED, {"ads_shared": G})
    assert decision.missing == ("sharing",)


def test_a_separate_consent_the_map_asks_is_required_too() -> None:
    public = act("showcase", "nickname", separate=frozenset({SeparateConsent.PUBLIC_DISCLOSURE}))
    assert check(public, {"showcase": G}).missing == ("public_disclosure",)


def test_missing_separate_consents_are_listed_sorted() -> None:
    face = act("face_login", "face", "health", recipients=(recipient("Vendor", "face", cross_border=True),))
    assert check(face, {"face_login": G}).missing == ("cross_border", "face_recognition", "sensitive", "sharing")
