"""Necessity, basic functions, the effective legal basis and required separate consents are derived, not typed."""

from __future__ import annotations

import pytest

from appcomply.apps.rules import load_catalogue
from appcomply.consent.rules import (
    LegalBasis,
    RecipientKind,
    SeparateConsent,
    effective_basis,
    is_basic,
    load_pi_catalogue,
    necessary_items,
    required_separate,
)
from tests.unit.consent.builders import act, recipient

MAP_APP = (1,)  # map & navigation: location, departure point, destination


def test_necessary_items_are_those_the_basic_type_lists() -> None:
    nav = act("navigate", "location", "destination", "contacts", basic_type=1)
    assert necessary_items(nav, MAP_APP, load_catalogue()) == {"location", "destination"}


def test_conditional_items_count_as_necessary() -> None:
    ride = act("ride", "mobile_number", "payment_info", basic_type=2)
    assert necessary_items(ride, (2,), load_catalogue()) == {"mobile_number", "payment_info"}


def test_an_extended_activity_has_no_necessary_items() -> None:
    share = act("share_trip", "location", "destination")
    assert necessary_items(share, MAP_APP, load_catalogue()) == frozenset()


def test_a_type_the_app_does_not_declare_makes_nothing_basic_or_necessary() -> None:
    ride = act("ride", "mobile_number", basic_type=2)
    assert not is_basic(ride, MAP_APP)
    assert necessary_items(ride, MAP_APP, load_catalogue()) == frozenset()
    assert effective_basis(ride, MAP_APP, load_catalogue()) is LegalBasis.CONSENT


@pytest.mark.parametrize("declared", [LegalBasis.CONSENT, LegalBasis.CONTRACT])
def test_a_basic_activity_on_necessary_pi_rests_on_contract(declared: LegalBasis) -> None:
    nav = act("navigate", "location", "destination", basis=declared, basic_type=1)
    assert effective_basis(nav, MAP_APP, load_catalogue()) is LegalBasis.CONTRACT


def test_a_basic_activity_of_a_no_pi_type_without_pi_rests_on_contract() -> None:
    play = act("play", basic_type=29)
    assert effective_basis(play, (29,), load_catalogue()) is LegalBasis.CONTRACT


def test_declared_contract_with_unnecessary_pi_rests_on_consent() -> None:
    nav = act("navigate", "location", "contacts", basis=LegalBasis.CONTRACT, basic_type=1)
    assert effective_basis(nav, MAP_APP, load_catalogue()) is LegalBasis.CONSENT


def test_declared_contract_in_an_extended_function_rests_on_consent() -> None:
    ads = act("ads", "device_id", basis=LegalBasis.CONTRACT)
    assert effective_basis(ads, MAP_APP, load_catalogue()) is LegalBasis.CONSENT


@pytest.mark.parametrize("basis", [LegalBasis.LEGAL_DUTY, LegalBasis.EMERGENCY, LegalBasis.OTHER_LAW])
def test_a_basis_independent_of_the_service_stands_as_declared(basis: LegalBasis) -> None:
    logs = act("security_logs", "device_id", "ip_address", basis=basis)
    assert effective_basis(logs, MAP_APP, load_catalogue()) is basis


def test_sensitive_pi_requires_separate_consent() -> None:
    assert required_separate(act("x", "precise_location"), load_pi_catalogue()) == {SeparateConsent.SENSITIVE}
    assert required_separate(act("x", "nickname"), load_pi_catalogue()) == frozenset()


def test_sensitive_pi_sent_to_a_recipient_counts_too() -> None:
    x = act("x", "nickname", recipients=(recipient("SDK", "health"),))
    assert SeparateConsent.SENSITIVE in required_separate(x, load_pi_catalogue())


def test_face_requires_face_recognition_consent_in_place_of_sensitive() -> None:
    assert required_separate(act("x", "face"), load_pi_catalogue()) == {SeparateConsent.FACE_RECOGNITION}
    both = required_separate(act("x", "face", "health"), load_pi_catalogue())
    assert both == {SeparateConsent.FACE_RECOGNITION, SeparateConsent.SENSITIVE}


def test_an_unknown_code_is_treated_as_sensitive() -> None:
    assert required_separate(act("x", "no_such_item"), load_pi_catalogue()) == {SeparateConsent.SENSITIVE}


@pytest.mark.parametrize("kind", [RecipientKind.THIRD_PARTY, RecipientKind.SDK])
def test_third_parties_and_sdks_require_sharing_consent(kind: RecipientKind) -> None:
    x = act("x", "device_id", recipients=(recipient("Ads", "device_id", kind=kind),))
    assert required_separate(x, load_pi_catalogue()) == {SeparateConsent.SHARING}


def test_an_entrusted_processor_requires_no_sharing_consent() -> None:
    x = act("x", "device_id", recipients=(recipient("Cloud", "device_id", kind=RecipientKind.ENTRUSTED_PROCESSOR),))
    assert required_separate(x, load_pi_catalogue()) == frozenset()


def test_a_recipient_abroad_requires_cross_border_consent_even_when_entrusted() -> None:
    abroad = recipient("Cloud", "device_id", kind=RecipientKind.ENTRUSTED_PROCESSOR, cross_border=True)
    assert required_separate(act("x", "device_id", recipients=(abroad,)), load_pi_catalogue()) == {
        SeparateConsent.CROSS_BORDER
    }
