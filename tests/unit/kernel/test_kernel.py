"""Kernel building blocks: UUIDv7 ids, clocks, the acting user, error categories and CLI output."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import types
import uuid
import zoneinfo

import pytest

from appcomply.apps import errors as apps_errors
from appcomply.kernel import errors, ids
from appcomply.kernel.actor import Actor, ActorKind, Role, cli_actor, system_actor
from appcomply.kernel.clock import FixedClock, SystemClock
from appcomply.kernel.runner import emit

CATEGORIES = (
    errors.NotFound,
    errors.Conflict,
    errors.Forbidden,
    errors.Unauthenticated,
    errors.Invalid,
    errors.TooLarge,
    errors.RateLimited,
    errors.Unavailable,
)


def _ms(value: uuid.UUID) -> int:
    return value.int >> 80


class _FrozenWallClock:
    """Stands in for the `time` module inside kernel.ids: the wall clock is the process boundary ids read."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def time_ns(self) -> int:
        return self.ms * 1_000_000


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> _FrozenWallClock:
    # Two milliseconds past the last id issued: a fresh millisecond, so the tie-breaking counter starts low.
    frozen = _FrozenWallClock(_ms(ids.new_id()) + 2)
    monkeypatch.setattr(ids, "time", types.SimpleNamespace(time_ns=frozen.time_ns))
    return frozen


# --- ids ----------------------------------------------------------------------------------------------------------


def test_new_id_is_a_uuid_version_7_with_the_rfc_4122_variant() -> None:
    value = ids.new_id()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_id_embeds_the_current_unix_time_in_milliseconds() -> None:
    before = SystemClock().now()
    value = ids.new_id()
    after = SystemClock().now()
    at = dt.datetime.fromtimestamp(_ms(value) / 1000, tz=dt.UTC)
    # A little slack above: ids borrow a few milliseconds ahead when the counter overflows.
    assert before - dt.timedelta(milliseconds=1) <= at <= after + dt.timedelta(milliseconds=100)


def test_new_ids_strictly_increase_within_a_process() -> None:
    values = [ids.new_id() for _ in range(10_000)]
    assert all(a < b for a, b in itertools.pairwise(values))
    assert all(v.version == 7 and v.variant == uuid.RFC_4122 for v in values)


def test_new_ids_are_unique_across_threads() -> None:
    results: list[list[uuid.UUID]] = [[] for _ in range(8)]
    start = threading.Barrier(len(results))

    def work(out: list[uuid.UUID]) -> None:
        start.wait()
        out.extend(ids.new_id() for _ in range(2_000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for out in results for value in out]
    assert len(set(everything)) == len(everything) == 16_000
    assert all(all(a < b for a, b in itertools.pairwise(out)) for out in results)


def test_more_ids_than_the_counter_holds_in_one_millisecond_still_increase(wall_clock: _FrozenWallClock) -> None:
    values = [ids.new_id() for _ in range(5_000)]  # the 12-bit counter holds 4096 per millisecond
    assert all(a < b for a, b in itertools.pairwise(values))
    # The overflow borrows the next millisecond rather than wrapping the counter back to a smaller id.
    assert {_ms(v) for v in values} == {wall_clock.ms, wall_clock.ms + 1}


def test_ids_keep_increasing_when_the_wall_clock_steps_back(wall_clock: _FrozenWallClock) -> None:
    first = ids.new_id()
    wall_clock.ms -= 5_000
    second = ids.new_id()
    assert first < second
    assert _ms(second) == _ms(first)


# --- clocks -------------------------------------------------------------------------------------------------------


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_fixed_clock_stands_still_until_advanced() -> None:
    start = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
    clock = FixedClock(start)
    assert clock.now() == clock.now() == start
    assert clock.monotonic() == 0.0
    clock.advance(dt.timedelta(minutes=2, milliseconds=500))
    assert clock.now() == start + dt.timedelta(minutes=2, milliseconds=500)
    assert clock.monotonic() == 120.5


def test_fixed_clock_reports_utc_whatever_zone_it_was_given() -> None:
    shanghai = dt.datetime(2026, 11, 29, 17, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    now = FixedClock(shanghai).now()
    assert now.tzinfo is dt.UTC
    assert now == dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


def test_system_clock_gives_aware_utc_time_and_a_monotonic_counter() -> None:
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is dt.UTC
    first = clock.monotonic()
    assert clock.monotonic() >= first


# --- actor --------------------------------------------------------------------------------------------------------


def test_an_admin_holds_every_role() -> None:
    admin = Actor(kind=ActorKind.STAFF, label="staff:root", roles=frozenset({Role.ADMIN}))
    for role in Role:
        assert admin.has_any_role(frozenset({role}))


def test_a_staff_member_holds_only_the_roles_given() -> None:
    reviewer = Actor(kind=ActorKind.STAFF, label="staff:rev", roles=frozenset({Role.REVIEWER}))
    assert reviewer.has_any_role(frozenset({Role.REVIEWER, Role.SECURITY}))
    assert not reviewer.has_any_role(frozenset({Role.SECURITY, Role.COMPLIANCE}))
    assert not reviewer.has_any_role(frozenset({Role.ADMIN}))


def test_an_actor_without_roles_holds_none() -> None:
    app = Actor(kind=ActorKind.APP, label="app:demo", app_id=uuid.uuid4())
    assert not any(app.has_any_role(frozenset({role})) for role in Role)


def test_the_cli_acts_as_an_admin_system_actor_and_jobs_have_no_roles() -> None:
    cli = cli_actor()
    assert (cli.kind, cli.label) == (ActorKind.SYSTEM, "cli")
    assert cli.has_any_role(frozenset({Role.SECURITY}))
    job = system_actor("retention")
    assert (job.kind, job.label, job.roles) == (ActorKind.SYSTEM, "system:retention", frozenset())
    assert not job.has_any_role(frozenset(Role))


# --- errors -------------------------------------------------------------------------------------------------------


def test_a_domain_error_carries_its_detail_and_structured_fields() -> None:
    exc = errors.NotFound("no such app", app_id="a1")
    assert str(exc) == exc.detail == "no such app"
    assert exc.fields == {"app_id": "a1"}
    assert isinstance(exc, errors.DomainError)


def test_rate_limited_exposes_retry_after_as_a_field() -> None:
    exc = errors.RateLimited("slow down", retry_after=30, scope="sms")
    assert exc.retry_after == 30
    assert exc.fields == {"retry_after": 30, "scope": "sms"}


def test_the_error_categories_are_distinct_with_distinct_codes() -> None:
    for category in CATEGORIES:
        assert issubclass(category, errors.DomainError)
        assert not any(issubclass(category, other) for other in CATEGORIES if other is not category)
    assert len({c.code for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.title for c in CATEGORIES}) == len(CATEGORIES)


def test_every_apps_error_falls_in_exactly_one_category_with_a_dotted_code() -> None:
    found = [
        value
        for value in vars(apps_errors).values()
        if isinstance(value, type) and issubclass(value, errors.DomainError) and value not in CATEGORIES
    ]
    assert found
    for error in found:
        assert sum(issubclass(error, category) for category in CATEGORIES) == 1, error
        module, _, rest = error.code.partition(".")
        assert module in {"apps", "auth"}, error
        assert rest, error
    assert len({error.code for error in found}) == len(found)


# --- CLI output ---------------------------------------------------------------------------------------------------


def test_emit_writes_parseable_json_keeping_chinese_and_stringifying_ids(capsys: pytest.CaptureFixture[str]) -> None:
    app_id = uuid.uuid4()
    emit({"name": "示例社区", "id": app_id}, as_json=True, text="ignored")
    out = capsys.readouterr().out
    assert "示例社区" in out
    assert json.loads(out) == {"name": "示例社区", "id": str(app_id)}


def test_emit_writes_the_text_for_people_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    emit({"secret": "x"}, as_json=False, text="created app demo")
    assert capsys.readouterr().out == "created app demo\n"
