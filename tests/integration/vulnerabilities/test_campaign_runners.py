"""Two campaign runners at once never take the same chunk: each user gets one notice per channel.

Needs real commits from several connections, so the run gets a throwaway database (as the outbox workers' test
does): PostgreSQL, where the campaign row is claimed FOR UPDATE SKIP LOCKED, and a SQLite file, where BEGIN
IMMEDIATE serialises the runners.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from appcomply.db.session import make_session_factory, unit_of_work
from appcomply.kernel.actor import cli_actor, system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.notices.models import Notice
from appcomply.settings import Settings, VulnerabilitiesSettings
from appcomply.vault import Keyring
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.models import NoticeCampaign
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from tests.conftest import NOW
from tests.factories.apps import make_app
from tests.factories.vulnerabilities import campaign_body, fixed_vulnerability, make_users
from tests.integration._throwaway import throwaway_engine

RUNNERS = 2
USERS = 240
CHUNK = 20


@pytest.fixture(params=["postgresql", "sqlite-file"])
def runners_engine(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with throwaway_engine(request.param, engine, tmp_path_factory, label="campaigns", pool_size=RUNNERS) as e:
        yield e


def test_two_runners_at_once_notify_each_user_exactly_once(runners_engine: Engine) -> None:
    factory = make_session_factory(runners_engine)
    clock = FixedClock(NOW)
    settings = Settings()
    env = VulnerabilitiesEnv(
        keyring=Keyring.parse(settings.vault.keys.get_secret_value()), index_key=b"k" * 32,
        limits=VulnerabilitiesSettings(), public_url="http://testserver",
    )  # fmt: skip
    with unit_of_work(factory, clock=clock, actor=cli_actor(), request_id="seed") as ctx:
        app = make_app(ctx)
        users = make_users(ctx, app, USERS)
        vuln = fixed_vulnerability(ctx, env, app)
        campaign_id = service.start_campaign(ctx, vuln.id, campaign_body()).id
    start = threading.Barrier(RUNNERS)
    errors: list[BaseException] = []
    chunks: dict[str, int] = {}

    def run(name: str) -> None:
        try:
            start.wait()
            while True:
                with unit_of_work(factory, clock=clock, actor=system_actor(name), request_id=uuid.uuid4().hex) as c:
                    if service.run_campaign_step(c, env, chunk=CHUNK, worker=name) is None:
                        return
                chunks[name] = chunks.get(name, 0) + 1
        except BaseException as exc:  # surfaced in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"runner-{i}",)) for i in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with factory() as session:
        per_user = dict(
            session.execute(
                select(Notice.user_id, func.count())
                .where(Notice.reason_id == str(campaign_id))
                .group_by(Notice.user_id)
            ).all()
        )
        campaign = session.get_one(NoticeCampaign, campaign_id)
        assert per_user == dict.fromkeys(users, 1)
        assert (campaign.state, campaign.users_done, campaign.chunks) == ("done", USERS, USERS // CHUNK)
    assert sum(chunks.values()) == USERS // CHUNK + 1  # the empty last step finishes the campaign
