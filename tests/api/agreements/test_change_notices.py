"""The version record over HTTP: when its change notices went out (console page and JSON), and the console's top
bar link to an app's documents."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.factories.agreements import as_app, publish
from tests.factories.apps import make_api_key, make_app, make_staff_token

from appcomply import accounts, agreements, notices
from appcomply.agreements.models import Version
from appcomply.apps.models import App
from appcomply.bootstrap import Services
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx

AGREEMENT = agreements.DocumentKind.USER_AGREEMENT
DAY = dt.timedelta(days=1)


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def staff(ctx: Ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_staff_token(ctx, Role.REVIEWER)}"}


@pytest.fixture
def changed(ctx: Ctx, app: App, clock: FixedClock) -> Version:
    """A material change scheduled a week ahead for an app with three users: three inbox notices queued."""
    for n in range(3):
        accounts.register_user(as_app(ctx, app.id), accounts.UserCreate(external_ref=f"u-{n}", nickname=f"用户{n}"))
    publish(ctx, app.id, AGREEMENT)
    return publish(ctx, app.id, AGREEMENT, "第一条 新。\n", material=True, effective_at=clock.now() + 7 * DAY)


def _deliver(services: Services, factory: sessionmaker[Session], clock: FixedClock, batch: int) -> None:
    env = services.notices
    notices.deliver_due(factory, clock=clock, senders=env.senders, keyring=env.keyring, batch=batch, worker="t")


def _facts(page: str) -> dict[str, str]:
    section = page[page.index("<h2>变更通知</h2>") :]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section[: section.index("</section>")]))


def test_the_version_page_shows_queued_pending_sent_and_when_the_first_and_last_went_out(
    client: TestClient, staff: dict[str, str], changed: Version, services: Services,
    session_factory: sessionmaker[Session], clock: FixedClock,
) -> None:  # fmt: skip
    url = f"/console/document-versions/{changed.id}"
    assert _facts(client.get(url, headers=staff).text) == {
        "已排入队列": "3", "待送达": "3", "已送达": "0", "已放弃": "0", "首条送达时间": "—", "末条送达时间": "—",
    }  # fmt: skip

    _deliver(services, session_factory, clock, batch=2)  # 17:00 Beijing time
    clock.advance(dt.timedelta(minutes=30))
    _deliver(services, session_factory, clock, batch=2)

    facts = _facts(client.get(url, headers=staff).text)
    assert (facts["待送达"], facts["已送达"]) == ("0", "3")
    assert (facts["首条送达时间"], facts["末条送达时间"]) == ("2026-11-29 17:00", "2026-11-29 17:30")


def test_the_json_record_of_a_versions_notices_is_read_by_its_app_or_staff_only(
    client: TestClient, ctx: Ctx, app: App, staff: dict[str, str], changed: Version, services: Services,
    session_factory: sessionmaker[Session], clock: FixedClock,
) -> None:  # fmt: skip
    _deliver(services, session_factory, clock, batch=1)
    own = {"Authorization": f"Bearer {make_api_key(ctx, app)}"}
    other = {"Authorization": f"Bearer {make_api_key(ctx, make_app(ctx))}"}
    url = f"/v1/document-versions/{changed.id}/notices"

    body = client.get(url, headers=own).json()
    assert body == {
        "version_id": str(changed.id), "queued": 3, "pending": 2, "sent": 1, "dead": 0,
        "first_sent_at": "2026-11-29T09:00:00Z", "last_sent_at": "2026-11-29T09:00:00Z",
    }  # fmt: skip
    assert client.get(url, headers=staff).json() == body
    missing = client.get(url, headers=other)
    assert (missing.status_code, missing.json()["code"]) == (404, "agreements.version.not_found")


def test_the_top_bar_links_to_the_apps_documents_in_both_languages(
    client: TestClient, app: App, staff: dict[str, str]
) -> None:
    link = f'<a href="/console/apps/{app.slug}/documents"'
    documents = client.get(f"/console/apps/{app.slug}/documents", headers=staff).text
    assert f'{link} aria-current="page">规则与协议</a>' in documents
    assert f"{link}>规则与协议</a>" in client.get(f"/console/apps/{app.slug}/notices", headers=staff).text

    client.get("/console/lang/en", follow_redirects=False)
    english = client.get(f"/console/apps/{app.slug}/notices", headers=staff).text
    assert f"{link}>Documents</a>" in english
