"""Console lists page by keyset: a next link past the page size, a first-page link after it, nothing lost."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.api.console.test_console import _staff_session
from tests.factories.apps import make_app

from appcomply.apps.admin import PAGE_SIZE
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx


def _links(html: str) -> dict[str, str]:
    return {
        m.group(2): m.group(1).replace("&amp;", "&") for m in re.finditer(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    }


def test_the_app_list_pages_through_every_app_exactly_once(client: TestClient, ctx: Ctx) -> None:
    made = {make_app(ctx, name=f"分页应用 {i:03d}").slug for i in range(PAGE_SIZE + 3)}
    _staff_session(client, ctx, Role.REVIEWER)
    client.cookies.set("appcomply_lang", "en")
    seen: list[str] = []
    url = "/console/?q=分页应用"
    first = client.get(url).text
    assert "First page" not in first
    seen += re.findall(r'href="/console/apps/([a-z0-9-]+)"', first)
    next_url = _links(first)["Next page"]
    second = client.get(next_url).text
    seen += re.findall(r'href="/console/apps/([a-z0-9-]+)"', second)
    assert "Next page" not in _links(second)
    assert _links(second)["First page"] == "/console/?q=%E5%88%86%E9%A1%B5%E5%BA%94%E7%94%A8"
    assert sorted(seen) == sorted(made)
