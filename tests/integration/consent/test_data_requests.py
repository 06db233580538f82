"""Data-subject requests on a real database: re-verification by OTP, due dates, legal holds, and each kind performed
across modules — the export holds every record and no clear identifier, erasure leaves no sealed value or blind
index, the outcome says what was kept and why, and it is queued to the user's inbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import Session

from appcomply import accounts, agreements, identity, notices
from appcomply.accounts.models import EndUser
from appcomply.agreements.models import Acceptance
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.audit.rules import ensure_no_clear_pi
from appcomply.bootstrap import Services
from appcomply.consent import errors, rules, service
from appcomply.consent.models import ConsentEvent, ConsentState, DataRequest, LegalHold
from appcomply.consent.schemas import AgeDeclaration
from appcomply.db.base import Base
from appcomply.identity.models import SmsMessage, Verification
from appcomply.identity.schemas import IdCardStart
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice
from tests.factories.agreements import acceptance, publish
from tests.factories.apps import make_app
from tests.factories.audit import chain_and_verify
from tests.factories.consent import add_activity, answer, request_body, sent_code, verify_phone

K, S = rules.RequestKind, rules.RequestStatus
PHONE = "13912345678"
NAME = "李小龙"
ID_NUMBER = "11010519491231002X"
CALENDAR = rules.WorkCalendar()


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, app_types=[4])


@pytest.fixture
def as_app(ctx: Ctx, app: App) -> Ctx:
    return dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="app", app_id=app.id))


@pytest.fixture
def user(as_app: Ctx, services: Services) -> EndUser:
    """A user with a verified phone and a verified resident ID card."""
    row = accounts.register_user(as_app, accounts.UserCreate(external_ref="dsr-user-1", nickname="小龙"))
    verify_phone(as_app, row.id, PHONE, env=services.identity)
    checked = identity.start_verification(
        as_app, row.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=services.identity,
        client_ip=None,
    )  # fmt: skip
    assert checked.verification.status == "verified", checked.verification.result_code
    return row


def _later(clock: FixedClock) -> None:
    # Each request sends a code to the same number: step past the minimum interval between two SMS.
    clock.advance(dt.timedelta(minutes=2))


def _open(as_app: Ctx, services: Services, user: EndUser, kind: rules.RequestKind) -> DataRequest:
    _later(as_app.clock)  # type: ignore[attr-defined]
    return service.open_request(as_app, user.id, request_body(user.id, kind), identity_env=services.identity,
                                calendar=CALENDAR)  # fmt: skip


def _verified(as_app: Ctx, services: Services, user: EndUser, kind: rules.RequestKind) -> DataRequest:
    row = _open(as_app, services, user, kind)
    assert row.verification_id is not None
    row, status = service.confirm_request(
        as_app, row.id, sent_code(as_app, row.verification_id), identity_env=services.identity
    )
    assert (row.status, status) == (S.IN_PROGRESS, "verified")
    return row


def _counts(connection: Connection) -> dict[str, int]:
    return {t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_a_request_is_verifying_with_a_code_sent_to_the_verified_phone(
    as_app: Ctx, services: Services, user: EndUser
) -> None:
    row = _open(as_app, services, user, K.ACCESS)
    assert row.status == S.VERIFYING
    assert row.verification_id is not None
    verification = identity.get_verification(as_app, row.verification_id)
    assert (verification.method, verification.status) == ("phone", "pending")
    assert verification.masked["phone"] == identity.mask_mobile(PHONE)


def test_a_wrong_code_is_a_recorded_outcome_and_the_right_one_starts_the_work(
    as_app: Ctx, services: Services, user: EndUser, session: Session
) -> None:
    row = _open(as_app, services, user, K.ACCESS)
    assert row.verification_id is not None
    code = sent_code(as_app, row.verification_id)
    wrong = "000000" if code != "000000" else "111111"
    row, status = service.confirm_request(as_app, row.id, wrong, identity_env=services.identity)
    assert (row.status, status) == (S.VERIFYING, "pending")
    rejected = session.scalars(select(AuditEntry).where(AuditEntry.event == "consent.request.code_rejected")).all()
    assert len(rejected) == 1
    row, status = service.confirm_request(as_app, row.id, code, identity_env=services.identity)
    assert (row.status, status) == (S.IN_PROGRESS, "verified")
    assert row.verified_at is not None


def test_a_user_without_a_verified_phone_is_refused_and_nothing_is_written(
    as_app: Ctx, services: Services, connection: Connection
) -> None:
    other = accounts.register_user(as_app, accounts.UserCreate(external_ref="no-phone", nickname="无手机"))
    as_app.session.flush()
    before = _counts(connection)
    with pytest.raises(errors.NoVerifiedPhone), as_app.session.begin_nested():
        service.open_request(as_app, other.id, request_body(other.id, K.ACCESS), identity_env=services.identity,
                             calendar=CALENDAR)  # fmt: skip
    assert _counts(connection) == before


@pytest.mark.parametrize("kind", [K.DELETION, K.CANCELLATION])
def test_erasure_under_a_legal_hold_is_refused_and_nothing_is_written(
    ctx: Ctx, as_app: Ctx, services: Services, user: EndUser, connection: Connection, kind: rules.RequestKind
) -> None:
    service.place_hold(ctx, user.id, reason="court order 2026-17")
    ctx.session.flush()
    before = _counts(connection)
    with pytest.raises(errors.LegalHoldActive), as_app.session.begin_nested():
        _open(as_app, services, user, kind)
    assert _counts(connection) == before


def test_a_hold_placed_after_receipt_stops_the_erasure_and_a_released_one_does_not(
    ctx: Ctx, as_app: Ctx, services: Services, user: EndUser
) -> None:
    row = _verified(as_app, services, user, K.DELETION)
    hold = service.place_hold(ctx, user.id, reason="police investigation 2026-3")
    with pytest.raises(errors.LegalHoldActive):
        service.complete_request(ctx, row.id, note="")
    service.release_hold(ctx, user.id, hold.id)
    with pytest.raises(errors.HoldAlreadyReleased):
        service.release_hold(ctx, user.id, hold.id)
    assert service.complete_request(ctx, row.id, note="").status == S.COMPLETED


def test_a_hold_blocks_only_erasure(ctx: Ctx, as_app: Ctx, services: Services, user: EndUser) -> None:
    service.place_hold(ctx, user.id, reason="dispute over a payment")
    assert _open(as_app, services, user, K.ACCESS).status == S.VERIFYING


def test_opened_requests_carry_the_configured_calendar(as_app: Ctx, services: Services, user: EndUser) -> None:
    _later(as_app.clock)  # type: ignore[attr-defined]
    calendar = rules.WorkCalendar(holidays=frozenset({dt.date(2026, 12, 1)}))
    row = service.open_request(as_app, user.id, request_body(user.id, K.COPY), identity_env=services.identity,
                               calendar=calendar)  # fmt: skip
    received = rules.beijing_date(row.received_at)
    assert row.due_on == rules.request_due(received, holidays=calendar.holidays, workdays=calendar.workdays)
    assert calendar.days_left(as_app.clock.now(), row.due_on) == rules.DUE_WORKING_DAYS


def _personal_world(ctx: Ctx, as_app: Ctx, services: Services, app: App, user: EndUser) -> None:
    """Records about the user in every module: consent, acceptance, a notice with a sealed recipient."""
    policy = publish(ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY)
    add_activity(ctx, app.id, "personalised_ads", pi_items=["device_id"])
    service.record_consent(as_app, user.id, answer("personalised_ads", rules.ConsentAction.GRANTED, policy.id))
    service.declare_age(as_app, user.id, AgeDeclaration(age=30))
    agreements.accept_version(as_app, user.id, acceptance(policy.id), index_key=services.identity.index_key)
    notices.enqueue(
        ctx, app_id=app.id, user_id=user.id, channel=notices.Channel.SMS, subject="提醒", body=f"尊敬的{NAME}",
        recipient="+86" + PHONE, keyring=services.identity.keyring,
    )  # fmt: skip
    ctx.session.flush()


@pytest.mark.parametrize("kind", [K.ACCESS, K.COPY, K.PORTABILITY])
def test_the_export_holds_every_record_and_no_clear_identifier(
    ctx: Ctx, as_app: Ctx, services: Services, app: App, user: EndUser, kind: rules.RequestKind
) -> None:
    _personal_world(ctx, as_app, services, app, user)
    row = _verified(as_app, services, user, kind)
    row = service.complete_request(ctx, row.id, note="")
    assert (row.status, row.outcome_code) == (S.COMPLETED, "consent.request.exported")
    export = row.export
    assert export is not None
    text = json.dumps(export, ensure_ascii=False)
    for clear in (ID_NUMBER, PHONE, NAME, ID_NUMBER.lower()):
        assert clear not in text
    sealed = ctx.session.scalars(select(Verification.phone_sealed).where(Verification.user_id == user.id)).all()
    assert not [s for s in sealed if s and s in text]
    assert export["account"]["external_ref"] == "dsr-user-1"
    methods = sorted(v["method"] for v in export["identity"]["verifications"])
    assert methods == ["id_card", "phone", "phone"]  # the verified phone, the ID card, this request's code
    id_card = next(v for v in export["identity"]["verifications"] if v["method"] == "id_card")
    assert id_card["masked"]["id_number"] == identity.mask_id_number(ID_NUMBER)
    assert [s["subject"] for s in export["consent"]["current"]] == ["personalised_ads"]
    assert len(export["consent"]["history"]) == 1
    assert export["consent"]["declared_age"] == 30
    assert export["agreements"]["acceptances"][0]["ip"] != "203.0.113.7"
    assert export["notices"]["notices"][0]["recipient"] == notices.mask_recipient(notices.Channel.SMS, "+86" + PHONE)
    assert [r["id"] for r in export["data_requests"]] == [str(row.id)]


def test_withdrawal_withdraws_every_standing_grant_through_the_ledger(
    ctx: Ctx, as_app: Ctx, services: Services, app: App, user: EndUser, session: Session
) -> None:
    _personal_world(ctx, as_app, services, app, user)
    row = service.complete_request(ctx, _verified(as_app, services, user, K.WITHDRAWAL).id, note="")
    assert row.outcome_code == "consent.request.withdrawn"
    states = session.scalars(select(ConsentState).where(ConsentState.user_id == user.id)).all()
    assert [(s.subject, s.action) for s in states] == [("personalised_ads", "withdrawn")]
    assert session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.user_id == user.id)) == 2
    assert not service.check(as_app, user.id, "personalised_ads").allowed


def _no_identifier_left(session: Session, user: EndUser) -> None:
    verifications = session.scalars(select(Verification).where(Verification.user_id == user.id)).all()
    assert verifications
    for v in verifications:
        assert (v.phone_sealed, v.phone_index, v.name_sealed, v.id_number_sealed, v.id_number_index) == (None,) * 5
        assert (v.uscc_sealed, v.uscc_index, v.masked) == (None, None, {})
    ids = [v.id for v in verifications]
    for sms in session.scalars(select(SmsMessage).where(SmsMessage.verification_id.in_(ids))):
        assert (sms.phone_index, sms.ip_index, sms.dev_body, sms.phone_masked) == ("", None, None, "")
    for a in session.scalars(select(Acceptance).where(Acceptance.user_id == user.id)):
        assert (a.ip_index, a.ip_masked) == ("", "")
    sealed = session.scalar(
        select(func.count())
        .select_from(Notice)
        .where(Notice.user_id == user.id, or_(Notice.recipient_sealed.is_not(None), Notice.body != ""))
    )
    assert sealed == 1  # only the outcome notice itself, queued after the erasure (inbox: no recipient)


@pytest.mark.parametrize(("kind", "status"), [(K.DELETION, "active"), (K.CANCELLATION, "cancelled")])
def test_erasure_leaves_no_identifier_and_says_what_was_kept_and_why(
    ctx: Ctx, as_app: Ctx, services: Services, app: App, user: EndUser, session: Session, kind: rules.RequestKind,
    status: str,
) -> None:  # fmt: skip
    _personal_world(ctx, as_app, services, app, user)
    row = service.complete_request(ctx, _verified(as_app, services, user, kind).id, note="已核实")
    _no_identifier_left(session, user)
    assert (user.nickname, user.external_ref, user.status) == ("已注销用户", f"erased:{user.id}", status)
    for law in ("Cybersecurity Law Art 21", "PIPL Arts 13–15", "Provisions Art 6", "Civil Code Art 496"):
        assert law in row.outcome_en
    assert "《网络安全法》第二十一条" in row.outcome
    assert "已核实" in row.outcome
    assert not service.check(as_app, user.id, "personalised_ads").allowed
    texts = json.dumps([e.data for e in session.scalars(select(AuditEntry))], ensure_ascii=False)
    for clear in (ID_NUMBER, PHONE, NAME):
        assert clear not in texts


@pytest.mark.parametrize("kind", list(K))
def test_every_kind_closes_with_an_outcome_notice_and_a_sound_audit_trail(
    ctx: Ctx, as_app: Ctx, services: Services, user: EndUser, session: Session, kind: rules.RequestKind
) -> None:
    row = service.complete_request(ctx, _verified(as_app, services, user, kind).id, note="按请求办理")
    assert row.status == S.COMPLETED
    assert row.outcome
    assert row.outcome_en
    assert row.outcome_code
    notice = session.scalars(
        select(Notice).where(Notice.reason_kind == "data_request", Notice.reason_id == str(row.id))
    ).one()
    assert (notice.user_id, notice.channel, notice.status) == (user.id, "inbox", "queued")
    assert row.outcome_en in notice.body
    events = session.scalars(
        select(AuditEntry.event).where(AuditEntry.subject_kind == "data_request", AuditEntry.subject_id == str(row.id))
    ).all()
    assert {"consent.request.received", "consent.request.verified", "consent.request.closed"} <= set(events)
    for entry in session.scalars(select(AuditEntry)):
        ensure_no_clear_pi(entry.data)
    count, fault = chain_and_verify(session)
    assert fault is None
    assert count > 0


def test_correction_and_explanation_record_the_staff_note(
    ctx: Ctx, as_app: Ctx, services: Services, user: EndUser
) -> None:
    row = service.complete_request(ctx, _verified(as_app, services, user, K.CORRECTION).id, note="昵称已在应用内更正")
    assert (row.outcome_code, row.export) == ("consent.request.answered", None)
    assert "昵称已在应用内更正" in row.outcome


def test_a_rejection_gives_reasons_and_a_closed_request_stays_closed(
    ctx: Ctx, as_app: Ctx, services: Services, user: EndUser
) -> None:
    row = _open(as_app, services, user, K.EXPLANATION)
    row = service.reject_request(ctx, row.id, reason="请求内容不明确")
    assert (row.status, row.outcome_code) == (S.REJECTED, "consent.request.rejected")
    assert "请求内容不明确" in row.outcome
    with pytest.raises(errors.RequestClosed):
        service.complete_request(ctx, row.id, note="")


def test_an_unverified_request_cannot_be_completed(ctx: Ctx, as_app: Ctx, services: Services, user: EndUser) -> None:
    row = _open(as_app, services, user, K.ACCESS)
    with pytest.raises(errors.RequestTransitionInvalid):
        service.complete_request(ctx, row.id, note="")


def test_another_apps_key_cannot_see_the_request(ctx: Ctx, as_app: Ctx, services: Services, user: EndUser) -> None:
    row = _open(as_app, services, user, K.ACCESS)
    other = make_app(ctx)
    foreign = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="other", app_id=other.id))
    with pytest.raises(errors.RequestNotFound):
        service.get_request(foreign, row.id)
    with pytest.raises(accounts.UserNotFound):
        service.open_request(foreign, user.id, request_body(user.id, K.ACCESS), identity_env=services.identity,
                             calendar=CALENDAR)  # fmt: skip


def test_holds_are_listed_and_audited(ctx: Ctx, user: EndUser, session: Session) -> None:
    hold = service.place_hold(ctx, user.id, reason="court order 2026-17")
    assert service.active_hold(ctx, user.id) == hold
    service.release_hold(ctx, user.id, hold.id)
    assert service.active_hold(ctx, user.id) is None
    assert [h.id for h in service.list_holds(ctx, user.id)] == [hold.id]
    with pytest.raises(errors.HoldNotFound):
        service.release_hold(ctx, user.id, uuid.uuid4())
    events = session.scalars(select(AuditEntry.event).where(AuditEntry.subject_kind == "legal_hold")).all()
    assert sorted(events) == ["consent.hold.placed", "consent.hold.released"]
    assert session.get(LegalHold, hold.id) is not None
