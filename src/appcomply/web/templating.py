"""Jinja2 environment for the console and public pages: templates from every module, gettext (zh_CN, en)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from jinja2_fragments.fastapi import Jinja2Blocks

LOCALES = ("zh_CN", "en")
TEMPLATE_PACKAGES = ("appcomply.web", "appcomply.apps")


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


def make_templates() -> Jinja2Blocks:
    env = Environment(
        loader=ChoiceLoader([PackageLoader(pkg, "templates") for pkg in TEMPLATE_PACKAGES]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations("zh_CN"), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Blocks(env=env)


def gettext_for(locale: str) -> dict[str, Any]:
    """Per-request gettext callables, passed in the template context (the environment is shared)."""
    trans = translations(locale if locale in LOCALES else "zh_CN")
    return {"gettext": trans.gettext, "_": trans.gettext, "ngettext": trans.ngettext, "locale": locale}
