"""The forced-consent analysis: each finding on a map that has the fault, none on a clean map."""

from __future__ import annotations

import dataclasses
import random

from appcomply.apps.rules import load_catalogue
from appcomply.consent.rules import (
    Activity,
    Finding,
    LegalBasis,
    RecipientKind,
    SeparateConsent,
    Severity,
    analyse,
    load_pi_catalogue,
)
from tests.unit.consent.builders import act, recipient

MAP_APP = (1,)
NAVIGATE = act("navigate", "location", "departure_point", "destination", basis=LegalBasis.CONTRACT, basic_type=1)
ADS = act(
    "personalised_ads",
    "device_id",
    choice="ads",
    separate=frozenset({SeparateConsent.SHARING}),
    recipients=(recipient("Ad SDK", "device_id", kind=RecipientKind.SDK),),
)
FRIENDS = act("find_friends", "contacts", choice="friends", separate=frozenset({SeparateConsent.SENSITIVE}))
CLEAN = (NAVIGATE, ADS, FRIENDS)


def run(*activities: Activity, app_types: tuple[int, ...] = MAP_APP) -> list[Finding]:
    return analyse(app_types, activities, catalogue=load_catalogue(), pi_catalogue=load_pi_catalogue())


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


def test_a_clean_map_has_no_findings() -> None:
    # navigate processes sensitive location on contract necessity: that needs no separate consent.
    assert run(*CLEAN) == []


def test_a_basic_function_depending_on_unnecessary_pi_is_flagged_with_the_item_to_move() -> None:
    nav = dataclasses.replace(NAVIGATE, pi_items=(*NAVIGATE.pi_items, "contacts"))
    finding = only(run(nav, ADS, FRIENDS), "basic_uses_unnecessary_pi")
    assert (finding.severity, finding.activity_key, finding.pi_items) == (Severity.ERROR, "navigate", ("contacts",))
    assert "PIPL Art 16" in finding.article
    assert "39-type rules Art 4" in finding.article
    assert "'navigate_contacts'" in finding.fix_en
    assert "通讯录" in finding.fix_zh


def test_a_basic_function_on_a_declared_legal_duty_is_not_forced_consent() -> None:
    nav = dataclasses.replace(NAVIGATE, pi_items=(*NAVIGATE.pi_items, "ip_address"), basis=LegalBasis.LEGAL_DUTY)
    findings = run(nav, ADS, FRIENDS)
    assert [f.code for f in findings] == ["declared_basis_unchecked"]


def test_consent_activities_with_different_purposes_in_one_choice_are_bundled() -> None:
    ads, friends = dataclasses.replace(ADS, choice="onboarding"), dataclasses.replace(FRIENDS, choice="onboarding")
    finding = only(run(NAVIGATE, ads, friends), "bundled_consent")
    assert finding.activity_key == "personalised_ads"  # find_friends, first by key, keeps the choice
    assert "'find_friends'" in finding.message_en
    assert "'onboarding'" in finding.message_en
    assert "own choice 'personalised_ads'" in finding.fix_en


def test_activities_with_the_same_purpose_may_share_a_choice() -> None:
    ads2 = dataclasses.replace(ADS, key="ads_frequency", purpose=ADS.purpose)
    assert run(NAVIGATE, ADS, ads2, FRIENDS) == []


def test_consent_asked_together_with_the_basic_function_is_bundled() -> None:
    nav, ads = dataclasses.replace(NAVIGATE, choice="start"), dataclasses.replace(ADS, choice="start")
    finding = only(run(nav, ads, FRIENDS), "bundled_consent")
    assert finding.activity_key == "personalised_ads"
    assert "'navigate'" in finding.message_en


def test_sensitive_pi_without_separate_consent_is_flagged() -> None:
    finding = only(
        run(NAVIGATE, ADS, dataclasses.replace(FRIENDS, separate=frozenset())), "sensitive_without_separate_consent"
    )
    assert (finding.activity_key, finding.pi_items) == ("find_friends", ("contacts",))
    assert finding.article.startswith("PIPL Arts 29")
    assert "'sensitive'" in finding.fix_en


def test_sharing_without_separate_consent_is_flagged() -> None:
    finding = only(
        run(NAVIGATE, dataclasses.replace(ADS, separate=frozenset()), FRIENDS), "sharing_without_separate_consent"
    )
    assert (finding.activity_key, finding.pi_items, finding.article) == (
        "personalised_ads",
        ("device_id",),
        "PIPL Art 23",
    )


def test_an_undisclosed_recipient_is_flagged_whatever_the_basis() -> None:
    courier = recipient("Courier", "destination", kind=RecipientKind.ENTRUSTED_PROCESSOR, disclosed=False)
    nav = dataclasses.replace(NAVIGATE, recipients=(courier,))
    finding = only(run(nav, ADS, FRIENDS), "recipient_not_disclosed")
    assert (finding.activity_key, finding.pi_items) == ("navigate", ("destination",))
    assert "'Courier'" in finding.fix_en
    assert "sharing list" in finding.fix_en


def test_cross_border_without_separate_consent_is_flagged() -> None:
    abroad = recipient("Ad SDK", "device_id", kind=RecipientKind.SDK, cross_border=True)
    finding = only(
        run(NAVIGATE, dataclasses.replace(ADS, recipients=(abroad,)), FRIENDS), "cross_border_without_separate_consent"
    )
    assert finding.activity_key == "personalised_ads"
    assert "39" in finding.article


def test_face_without_face_recognition_consent_is_flagged() -> None:
    face = act("face_login", "face", choice="face")
    finding = only(run(*CLEAN, face), "face_recognition_without_separate_consent")
    assert finding.pi_items == ("face",)


def test_an_app_type_whose_basic_function_no_activity_performs_is_reported_as_info() -> None:
    finding = only(run(*CLEAN, app_types=(1, 6)), "basic_function_missing")
    assert (finding.severity, finding.activity_key) == (Severity.INFO, None)
    assert "type 6" in finding.message_en
    assert "basic_type 6" in finding.fix_en


def test_a_type_that_needs_no_pi_needs_no_activity() -> None:
    assert run(*CLEAN, app_types=(1, 29)) == []


def test_an_unknown_pi_code_is_flagged_in_activities_and_recipients() -> None:
    ads = dataclasses.replace(ADS, recipients=(recipient("Ad SDK", "device_id", "imei2"),))
    finding = only(run(NAVIGATE, ads, FRIENDS), "unknown_pi_item")
    assert finding.pi_items == ("imei2",)


def test_a_conditional_necessary_item_reports_its_condition() -> None:
    ride = act("ride", "mobile_number", "departure_point", "destination", "payment_info", basic_type=2)
    finding = only(run(ride, app_types=(2,)), "conditional_necessary_pi")
    assert finding.severity is Severity.INFO
    assert finding.pi_items == ("payment_info",)
    assert "street-taxi" in finding.message_en


def test_a_basic_type_the_app_does_not_declare_is_flagged() -> None:
    finding = only(run(*CLEAN, act("ride", "mobile_number", basic_type=2, choice="ride")), "basic_type_not_declared")
    assert finding.severity is Severity.WARNING


def test_declared_contract_for_an_extended_function_is_flagged() -> None:
    ads = dataclasses.replace(ADS, basis=LegalBasis.CONTRACT)
    finding = only(run(NAVIGATE, ads, FRIENDS), "contract_basis_not_necessary")
    assert finding.activity_key == "personalised_ads"


def test_findings_are_sorted_by_severity_then_key_and_do_not_depend_on_input_order() -> None:
    messy = (
        dataclasses.replace(NAVIGATE, pi_items=(*NAVIGATE.pi_items, "contacts")),
        dataclasses.replace(ADS, separate=frozenset(), basis=LegalBasis.CONTRACT),
        dataclasses.replace(FRIENDS, separate=frozenset()),
        act("ride", "mobile_number", basic_type=2),
    )
    expected = run(*messy, app_types=(1, 6))
    shuffled = list(messy)
    random.Random(4).shuffle(shuffled)
    assert run(*shuffled, app_types=(1, 6)) == expected
    ranks = [{"error": 0, "warning": 1, "info": 2}[f.severity] for f in expected]
    assert ranks == sorted(ranks)
    assert {f.code for f in expected} >= {
        "basic_uses_unnecessary_pi",
        "basic_function_missing",
        "contract_basis_not_necessary",
    }


ALL_FAULTS = (
    dataclasses.replace(NAVIGATE, pi_items=(*NAVIGATE.pi_items, "contacts", "imei2"), choice="start"),
    dataclasses.replace(
        ADS,
        separate=frozenset(),
        basis=LegalBasis.CONTRACT,
        choice="start",
        recipients=(recipient("Ad SDK", "device_id", kind=RecipientKind.SDK, disclosed=False, cross_border=True),),
    ),
    act("face_login", "face", "health"),
    act("ride", "mobile_number", "payment_info", basic_type=2),
    act("security_logs", "ip_address", basis=LegalBasis.LEGAL_DUTY),
    act("tickets", "mobile_number", basic_type=39),
)
EVERY_CODE = {
    "basic_uses_unnecessary_pi",
    "bundled_consent",
    "sensitive_without_separate_consent",
    "sharing_without_separate_consent",
    "cross_border_without_separate_consent",
    "face_recognition_without_separate_consent",
    "recipient_not_disclosed",
    "unknown_pi_item",
    "basic_type_not_declared",
    "contract_basis_not_necessary",
    "declared_basis_unchecked",
    "conditional_necessary_pi",
    "basic_function_missing",
}


def test_a_map_with_every_fault_yields_every_code_with_bilingual_text_and_an_article() -> None:
    findings = run(*ALL_FAULTS, app_types=(1, 2, 6))
    assert {f.code for f in findings} == EVERY_CODE
    for finding in findings:
        assert all([finding.article, finding.message_zh, finding.message_en, finding.fix_zh, finding.fix_en])
