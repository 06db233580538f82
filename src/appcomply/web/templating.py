"""Jinja2 for the console and public pages: templates from every module, per-request gettext (zh_CN, en), htmx.

One environment is shared by all requests, so the gettext callables installed in it look the language up in
the template context (``locale``, set per request by a context processor) instead of being bound to one
catalogue. Templates that import macros must import them ``with context`` for the same reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final

from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import ChoiceLoader, Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

LOCALES: Final = ("zh_CN", "en")
DEFAULT_LOCALE: Final = "zh_CN"
LOCALE_COOKIE: Final = "appcomply_lang"
# Staff read times in Beijing time. China keeps no daylight saving, so a fixed offset is exact and needs no tzdata.
DISPLAY_TZ: Final = dt.timezone(dt.timedelta(hours=8), "UTC+8")


@functools.cache
def translations(locale: str) -> Translations:
    """Catalogue for `locale` read from the packaged .po file (no compiled .mo to keep in step)."""
    path = resources.files("appcomply.web") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return Translations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    result = Translations()
    for message in catalog:
        if message.id and message.string and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = message.string if isinstance(message.string, str) else message.string[0]
            result._catalog[key] = value
    return result


def _catalogue(context: Context) -> Translations:
    locale = context.get("locale")
    return translations(locale if locale in LOCALES else DEFAULT_LOCALE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _catalogue(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _catalogue(context).ngettext(singular, plural, n)


def request_locale(request: Request) -> str:
    """The console language: the visitor's choice (cookie), else the configured default."""
    chosen = request.cookies.get(LOCALE_COOKIE, "")
    if chosen in LOCALES:
        return chosen
    services = getattr(request.app.state, "services", None)
    configured = services.settings.web.default_locale if services is not None else DEFAULT_LOCALE
    return configured if configured in LOCALES else DEFAULT_LOCALE


def _locale_context(request: Request) -> dict[str, Any]:
    return {"locale": request_locale(request)}


def _local_datetime(value: dt.datetime | None) -> str:
    return value.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def _local_date(value: dt.date | dt.datetime | None) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(DISPLAY_TZ).date()
    return value.isoformat() if value else ""


def make_templates(packages: Sequence[str]) -> Jinja2Blocks:
    """Templates from web's own `templates/` and then each package's (the composition root lists them)."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader(pkg, "templates") for pkg in ("appcomply.web", *packages)]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: `{% trans %}` and `_()` both escape and %-format, so translators cannot inject markup.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_datetime"] = _local_datetime
    env.filters["local_date"] = _local_date
    return Jinja2Blocks(env=env, context_processors=[_locale_context])


def is_fragment_request(request: Request) -> bool:
    """htmx swapping part of a page: not a boosted navigation and not a history restore (both want the page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    *,
    context: dict[str, Any],
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page `name`, or only its `block` when htmx asks for a fragment (W3).

    Console pages show staff-only data, so they are never stored by browsers or proxies; `Vary` keeps the
    fragment and the page of one URL apart in any cache that ignores that.
    """
    templates: Jinja2Blocks = request.app.state.templates
    fragment = block if block and is_fragment_request(request) else None
    merged = {"Cache-Control": "no-store", "Vary": "HX-Request", **(headers or {})}
    if fragment:
        return templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=merged, block_name=fragment
        )
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=merged)


def see_other(url: str) -> Response:
    """After a console POST: go to the page (htmx follows HX-Redirect; a plain form follows the 303)."""
    return RedirectResponse(url, status_code=303, headers={"HX-Redirect": url})
