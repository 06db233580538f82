"""CPI-04, for every one of the 39 app types: a user who refuses (or grants, then withdraws) every non-essential
activity keeps every basic function, and every non-essential activity is denied — read through the permissions
endpoint the app's backend uses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from appcomply import accounts, agreements
from appcomply.apps.rules import load_catalogue
from appcomply.consent import rules, service
from appcomply.kernel.context import Ctx
from tests.factories.agreements import as_app, publish
from tests.factories.apps import make_api_key, make_app
from tests.factories.consent import add_activity, answer

CATALOGUE = load_catalogue()
# Extended functions an app of any type may add, each on PI no type's basic function needs.
EXTENDED = {
    "contacts_match": ["contacts"],
    "personalised_ads": ["device_id", "browsing_history"],
    "nearby_people": ["precise_location"],
    "album_upload": ["photos"],
}


@pytest.mark.parametrize("code", sorted(CATALOGUE.types))
def test_basic_functions_survive_refusing_everything_else(client: TestClient, ctx: Ctx, code: int) -> None:
    app_type = CATALOGUE.get(code)
    app = make_app(ctx, app_types=[code])
    necessary = [n.item for n in app_type.necessary_pi]
    add_activity(ctx, app.id, "basic", basic_type=code, pi_items=necessary, basis=rules.LegalBasis.CONTRACT,
                 feature=app_type.basic_function_zh)  # fmt: skip
    for key, items in EXTENDED.items():
        assert not set(items) & set(necessary)
        add_activity(ctx, app.id, key, pi_items=items, choice=key)
    policy = publish(ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY)
    app_ctx = as_app(ctx, app.id)
    user = accounts.register_user(app_ctx, accounts.UserCreate(external_ref=f"u-{code}", nickname="用户"))
    for number, key in enumerate(EXTENDED):
        if number % 2:  # grant, then withdraw: withdrawal is as final as refusal
            service.record_consent(app_ctx, user.id, answer(key, rules.ConsentAction.GRANTED, policy.id))
            service.record_consent(app_ctx, user.id, answer(key, rules.ConsentAction.WITHDRAWN, policy.id))
        else:
            service.record_consent(app_ctx, user.id, answer(key, rules.ConsentAction.REFUSED, policy.id))
    ctx.session.flush()

    key = make_api_key(ctx, app)
    response = client.get(f"/v1/users/{user.id}/permissions", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    processing = {p["activity"]: p for p in response.json()["processing"]}
    assert processing["basic"]["basic"] is True
    assert (processing["basic"]["allowed"], processing["basic"]["basis"]) == (True, "contract"), app_type.name_en
    for key_ in EXTENDED:
        assert processing[key_]["allowed"] is False
        assert processing[key_]["reason"] in {"consent.refused", "consent.withdrawn"}
