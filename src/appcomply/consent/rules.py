"""Pure rules of the consent module: the PI catalogue, the processing map and its forced-consent analysis,
consent-ledger state, consent checks (Art 12; PIPL Arts 13–31) and working-day deadlines for data-subject
requests (PIPL Arts 44–50). No database, no web, no clock."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import importlib.resources
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from appcomply.apps.rules import AppType, Catalogue, NecessaryPi, load_catalogue

# --- PI catalogue ---------------------------------------------------------------------------------------------------


class PiGroup(enum.StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    LOCATION = "location"
    DEVICE = "device"
    BIOMETRIC = "biometric"
    FINANCIAL = "financial"
    CONTENT = "content"
    HEALTH = "health"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PiEntry:
    """One kind of PI. `sensitive` follows PIPL Art 28 (see data/SOURCE.txt)."""

    code: str
    zh: str
    en: str
    sensitive: bool
    group: PiGroup


@dataclass(frozen=True, slots=True)
class PiCatalogue:
    version: str
    items: Mapping[str, PiEntry]

    def get(self, code: str) -> PiEntry:
        try:
            return self.items[code]
        except KeyError:
            raise KeyError(f"unknown PI item {code!r}") from None

    def unknown(self, codes: Iterable[str]) -> list[str]:
        """Codes not in the catalogue, deduplicated and sorted."""
        return sorted({code for code in codes if code not in self.items})


# Face information gets its own separate-consent kind (PIPL Art 26; the 2025 face-recognition measures).
FACE_ITEM: Final = "face"


@functools.cache
def load_pi_catalogue() -> PiCatalogue:
    resource = importlib.resources.files("appcomply.consent") / "data" / "pi_catalogue.json"
    return parse_pi_catalogue(json.loads(resource.read_text(encoding="utf-8")), apps=load_catalogue())


def parse_pi_catalogue(data: object, *, apps: Catalogue) -> PiCatalogue:
    """Build the catalogue from decoded JSON; raises ValueError when it breaks an invariant.

    Every PI item of the 39-type catalogue must be present with the same labels and at least as strict a
    `sensitive` flag, so necessity (apps) and sensitivity (here) always talk about the same items.
    """
    root = _obj(data, "pi catalogue")
    version = root.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError("pi catalogue: 'version' must be a non-empty string")
    items = {code: _entry(code, raw) for code, raw in _obj(root.get("items"), "items").items()}
    for code, apps_item in apps.pi_items.items():
        entry = items.get(code)
        if entry is None:
            raise ValueError(f"pi catalogue: missing the 39-type item {code!r}")
        if (entry.zh, entry.en) != (apps_item.zh, apps_item.en):
            raise ValueError(f"pi catalogue: {code!r} is labelled differently from the 39-type catalogue")
        if apps_item.sensitive and not entry.sensitive:
            raise ValueError(f"pi catalogue: {code!r} is sensitive in the 39-type catalogue")
    if FACE_ITEM not in items:
        raise ValueError(f"pi catalogue: missing {FACE_ITEM!r}")
    return PiCatalogue(version=version, items=MappingProxyType(items))


def _obj(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object")
    return value


def _entry(code: str, raw: object) -> PiEntry:
    obj = _obj(raw, f"items[{code!r}]")
    zh, en, sensitive, group = obj.get("zh"), obj.get("en"), obj.get("sensitive"), obj.get("group")
    if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
        raise ValueError(f"items[{code!r}]: 'zh' and 'en' must be non-empty strings")
    if not isinstance(sensitive, bool):
        raise ValueError(f"items[{code!r}]: 'sensitive' must be true or false")
    if group not in set(PiGroup):
        raise ValueError(f"items[{code!r}]: 'group' must be one of {[g.value for g in PiGroup]}")
    return PiEntry(code=code, zh=zh, en=en, sensitive=sensitive, group=PiGroup(str(group)))


# --- processing map -------------------------------------------------------------------------------------------------


class LegalBasis(enum.StrEnum):
    """PIPL Art 13(1), items 1–7. Only consent needs the individual's consent."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_DUTY = "legal_duty"
    EMERGENCY = "emergency"
    NEWS_PUBLIC_INTEREST = "news_public_interest"
    PUBLIC_INFORMATION = "public_information"
    OTHER_LAW = "other_law"


class SeparateConsent(enum.StrEnum):
    SENSITIVE = "sensitive"  # PIPL Art 29
    SHARING = "sharing"  # PIPL Art 23
    PUBLIC_DISCLOSURE = "public_disclosure"  # PIPL Art 25
    CROSS_BORDER = "cross_border"  # PIPL Art 39
    FACE_RECOGNITION = "face_recognition"  # PIPL Art 26; face-recognition measures (2025)


class ConsentAction(enum.StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class RecipientKind(enum.StrEnum):
    THIRD_PARTY = "third_party"  # another processor (Art 23)
    SDK = "sdk"  # an SDK that processes for its own purposes: a third party
    ENTRUSTED_PROCESSOR = "entrusted_processor"  # processes only on our behalf (Art 21): no consent of its own


# Bases that do not depend on the service's necessity, so the 39-type rules cannot override them.
INDEPENDENT_BASES: Final = frozenset(LegalBasis) - {LegalBasis.CONSENT, LegalBasis.CONTRACT}
# Processing that may go ahead before a privacy policy is in force: a legal duty (PIPL Art 18 ¶1, where the law
# requires secrecy) or an emergency (Art 18 ¶2, with notice once it is over).
NOTICE_EXEMPT_BASES: Final = frozenset({LegalBasis.LEGAL_DUTY, LegalBasis.EMERGENCY})
GUARDIAN_AGE: Final = 14  # PIPL Arts 28, 31
_ACTIVITY_KEY = re.compile(r"[a-z0-9](?:[a-z0-9_.-]{0,62}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    kind: RecipientKind
    pi_items: tuple[str, ...]
    purpose: str
    disclosed: bool  # listed in the published third-party sharing list (CPI-08)
    cross_border: bool


@dataclass(frozen=True, slots=True)
class Activity:
    key: str
    feature: str
    purpose: str
    pi_items: tuple[str, ...]
    basis: LegalBasis  # as declared; effective_basis() decides what it really rests on
    basic_type: int | None  # the 39-type code whose basic function this performs; None = extended function
    choice: str | None  # the consent prompt it is asked in; consent activities sharing one are bundled
    separate: frozenset[SeparateConsent]  # separate consents asked for this activity
    recipients: tuple[Recipient, ...]
    retention: str


def activity_key_problem(key: str) -> str | None:
    """Why `key` cannot name an activity (and a ledger subject), or None when it can."""
    if not _ACTIVITY_KEY.fullmatch(key):
        return "use 1–64 lower-case letters, digits, '_', '.' or '-', starting and ending with a letter or digit"
    return None


def separate_subject(activity_key: str, kind: SeparateConsent) -> str:
    """The ledger subject of a separate consent. It is scoped to one activity: a separate consent covers the
    purpose, recipient and PI it was asked for (PIPL Arts 14, 23), never every activity of its kind."""
    return f"{activity_key}#{kind.value}"


def is_basic(activity: Activity, app_types: Sequence[int]) -> bool:
    """The activity performs the basic function of one of the app's own types."""
    return activity.basic_type is not None and activity.basic_type in app_types


def _necessary(activity: Activity, app_types: Sequence[int], catalogue: Catalogue) -> dict[str, NecessaryPi]:
    if activity.basic_type is None or not is_basic(activity, app_types):
        return {}
    listed = {entry.item: entry for entry in catalogue.get(activity.basic_type).necessary_pi}
    return {item: listed[item] for item in activity.pi_items if item in listed}


def necessary_items(activity: Activity, app_types: Sequence[int], catalogue: Catalogue) -> frozenset[str]:
    """The activity's PI items that its basic function's type lists as necessary (conditional ones included)."""
    return frozenset(_necessary(activity, app_types, catalogue))


def effective_basis(activity: Activity, app_types: Sequence[int], catalogue: Catalogue) -> LegalBasis:
    """The basis the activity really rests on.

    - A declared legal duty, emergency, news, public-information or other-law basis stands: it does not depend
      on the service's necessity (logs the law requires are kept whatever the user chose).
    - A basic activity whose PI is all necessary rests on contract necessity (PIPL Art 13(1)(2)), even if it
      was declared as consent: asking consent for it would let a refusal block the basic function (Art 16).
    - Everything else rests on consent, whatever was declared.
    """
    if activity.basis in INDEPENDENT_BASES:
        return activity.basis
    if is_basic(activity, app_types) and necessary_items(activity, app_types, catalogue) >= set(activity.pi_items):
        return LegalBasis.CONTRACT
    return LegalBasis.CONSENT


def _all_items(activity: Activity) -> frozenset[str]:
    return frozenset(activity.pi_items).union(*(r.pi_items for r in activity.recipients))


def _sensitive(items: Iterable[str], pi_catalogue: PiCatalogue) -> tuple[str, ...]:
    # An unknown code counts as sensitive, so a typo can never lower the bar.
    return tuple(sorted(i for i in items if i not in pi_catalogue.items or pi_catalogue.items[i].sensitive))


def _triggers(activity: Activity, pi_catalogue: PiCatalogue) -> dict[SeparateConsent, tuple[str, ...]]:
    """Each separate consent the activity needs, with the PI items that make it needed."""
    items = _all_items(activity)
    found: dict[SeparateConsent, tuple[str, ...]] = {}
    if sensitive := _sensitive(items - {FACE_ITEM}, pi_catalogue):
        found[SeparateConsent.SENSITIVE] = sensitive
    if FACE_ITEM in items:
        found[SeparateConsent.FACE_RECOGNITION] = (FACE_ITEM,)
    if shared := [r for r in activity.recipients if r.kind is not RecipientKind.ENTRUSTED_PROCESSOR]:
        found[SeparateConsent.SHARING] = _items_of(shared)
    if abroad := [r for r in activity.recipients if r.cross_border]:
        found[SeparateConsent.CROSS_BORDER] = _items_of(abroad)
    return found


def _items_of(recipients: Iterable[Recipient]) -> tuple[str, ...]:
    return tuple(sorted({item for r in recipients for item in r.pi_items}))


def required_separate(activity: Activity, pi_catalogue: PiCatalogue) -> frozenset[SeparateConsent]:
    """Separate consents the activity needs when it rests on consent (only then: PIPL Art 13(2)).

    Sensitive PI (own or shared) → sensitive; face → face_recognition, which stands in for the Art 29 consent
    for face; a third party or SDK recipient → sharing (an entrusted processor needs none, Art 21); a
    recipient abroad → cross_border. Public disclosure is declared, never derived.
    """
    return frozenset(_triggers(activity, pi_catalogue))


# --- forced-consent analysis ----------------------------------------------------------------------------------------


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_RANK: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # stable: basic_uses_unnecessary_pi, bundled_consent, <kind>_without_separate_consent, ...
    severity: Severity
    activity_key: str | None  # None for findings about the app (basic_function_missing)
    pi_items: tuple[str, ...]
    article: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str


@dataclass(frozen=True, slots=True)
class _Map:
    """What every check needs: the app's types and both catalogues."""

    app_types: Sequence[int]
    catalogue: Catalogue
    pi: PiCatalogue

    def zh(self, items: Iterable[str]) -> str:
        return "、".join(self.pi.items[i].zh if i in self.pi.items else i for i in items)

    def en(self, items: Iterable[str]) -> str:
        return ", ".join(self.pi.items[i].en if i in self.pi.items else i for i in items)


_SEPARATE_ARTICLES: Final = {
    SeparateConsent.SENSITIVE: ("PIPL Arts 29–30", "敏感个人信息", "sensitive PI"),
    SeparateConsent.SHARING: ("PIPL Art 23", "向其他个人信息处理者提供", "sharing with another processor"),
    SeparateConsent.PUBLIC_DISCLOSURE: ("PIPL Art 25", "公开个人信息", "public disclosure"),
    SeparateConsent.CROSS_BORDER: ("PIPL Arts 38–39", "向境外提供", "cross-border transfer"),
    SeparateConsent.FACE_RECOGNITION: ("PIPL Arts 26, 29; face-recognition measures (2025)", "人脸信息", "face data"),
}


def analyse(
    app_types: Sequence[int], activities: Iterable[Activity], *, catalogue: Catalogue, pi_catalogue: PiCatalogue
) -> list[Finding]:
    """Every way the processing map forces consent or breaks a notice or separate-consent duty.

    Sorted by severity, activity key, code and items. `app_types` must be codes of `catalogue`.
    """
    ctx = _Map(app_types=app_types, catalogue=catalogue, pi=pi_catalogue)
    ordered = sorted(activities, key=lambda a: a.key)
    findings = [f for a in ordered for f in _activity_findings(a, ctx)]
    findings += _bundles(ordered, ctx)
    findings += _missing_basic_functions(ordered, ctx)
    return sorted(findings, key=lambda f: (_RANK[f.severity], f.activity_key or "", f.code, f.pi_items))


def _activity_findings(activity: Activity, ctx: _Map) -> list[Finding]:
    found = _unknown_items(activity, ctx) + _basic_problems(activity, ctx) + _basis_problems(activity, ctx)
    if effective_basis(activity, ctx.app_types, ctx.catalogue) is LegalBasis.CONSENT:
        found += _separate_problems(activity, ctx)
    return found + [_undisclosed(activity, r, ctx) for r in activity.recipients if not r.disclosed]


def _unknown_items(activity: Activity, ctx: _Map) -> list[Finding]:
    unknown = tuple(ctx.pi.unknown(_all_items(activity)))
    if not unknown:
        return []
    codes = ", ".join(unknown)
    return [
        Finding(
            "unknown_pi_item", Severity.ERROR, activity.key, unknown, "PIPL Art 17",
            f"处理活动“{activity.key}”使用了个人信息目录中没有的代码：{codes}。",
            f"Activity '{activity.key}' uses codes that are not in the PI catalogue: {codes}.",
            "改用个人信息目录中的代码，才能判断必要性和敏感性并列入收集清单。",
            "Use codes from the PI catalogue, so necessity and sensitivity can be judged and the collection list "
            "built.",
        )
    ]  # fmt: skip


def _basic_problems(activity: Activity, ctx: _Map) -> list[Finding]:
    if activity.basic_type is None:
        return []
    if not is_basic(activity, ctx.app_types):
        return [
            Finding(
                "basic_type_not_declared", Severity.WARNING, activity.key, (), "39-type rules Arts 3, 5",
                f"“{activity.key}”声称履行第{activity.basic_type}类应用的基本功能，但本应用未声明该类型，按扩展功能处理。",
                f"'{activity.key}' claims the basic function of type {activity.basic_type}, which the app does not "
                "declare; it is treated as an extended function.",
                f"在应用类型中加入第{activity.basic_type}类，或将该活动标为扩展功能。",
                f"Add type {activity.basic_type} to the app's types, or mark the activity as an extended function.",
            )
        ]  # fmt: skip
    app_type = ctx.catalogue.get(activity.basic_type)
    necessary = _necessary(activity, ctx.app_types, ctx.catalogue)
    found = [_conditional(activity, e, ctx) for e in sorted(necessary.values(), key=lambda e: e.item) if e.condition_en]
    extra = tuple(sorted(set(activity.pi_items) - necessary.keys()))
    if extra and activity.basis not in INDEPENDENT_BASES:
        found.append(_unnecessary_in_basic(activity, app_type, extra, ctx))
    return found


def _unnecessary_in_basic(activity: Activity, app_type: AppType, extra: tuple[str, ...], ctx: _Map) -> Finding:
    new_key = f"{activity.key}_{extra[0]}" if len(extra) == 1 else f"{activity.key}_optional"
    return Finding(
        "basic_uses_unnecessary_pi", Severity.ERROR, activity.key, extra,
        "Provisions Art 12; 39-type rules Art 4; PIPL Art 16",
        f"基本功能活动“{activity.key}”（{app_type.name_zh}）依赖非必要个人信息：{ctx.zh(extra)}；用户拒绝时基本功能将无法使用。",
        f"Basic-function activity '{activity.key}' ({app_type.name_en}) depends on non-necessary PI: {ctx.en(extra)}; "
        "a user who declines it would lose the basic function.",
        f"将{ctx.zh(extra)}移出“{activity.key}”，放入单独的同意类扩展活动“{new_key}”。",
        f"Move {ctx.en(extra)} out of '{activity.key}' into its own consent activity '{new_key}' "
        "(an extended function).",
    )  # fmt: skip


def _conditional(activity: Activity, entry: NecessaryPi, ctx: _Map) -> Finding:
    return Finding(
        "conditional_necessary_pi", Severity.INFO, activity.key, (entry.item,), "39-type rules Art 5",
        f"{ctx.zh([entry.item])}仅在以下情形属于必要个人信息：{entry.condition_zh}。",
        f"{ctx.en([entry.item])} is necessary only in this case: {entry.condition_en}.",
        f"确认“{activity.key}”只在该情形下处理它；否则将其移入同意类扩展活动。",
        f"Check that '{activity.key}' processes it only in that case; otherwise move it to a consent activity.",
    )  # fmt: skip


def _basis_problems(activity: Activity, ctx: _Map) -> list[Finding]:
    necessary = necessary_items(activity, ctx.app_types, ctx.catalogue)
    if is_basic(activity, ctx.app_types) and necessary >= set(activity.pi_items):
        return []
    if activity.basis is LegalBasis.CONTRACT and not is_basic(activity, ctx.app_types):
        return [
            Finding(
                "contract_basis_not_necessary", Severity.WARNING, activity.key, (),
                "PIPL Art 13(1)(2); 39-type rules Art 3",
                f"“{activity.key}”声明以合同必需为依据，但它不是基本功能，所用信息并非必要，实际需要同意。",
                f"'{activity.key}' declares contract necessity, but it is not a basic function and its PI is not "
                "necessary: it rests on consent.",
                "将法律依据改为“同意”，并单独征求同意。",
                "Change the basis to consent and ask for it on its own.",
            )
        ]  # fmt: skip
    if activity.basis in INDEPENDENT_BASES:
        return [
            Finding(
                "declared_basis_unchecked", Severity.WARNING, activity.key, (), "PIPL Art 13(1)(3)–(7)",
                f"“{activity.key}”不经同意、以“{activity.basis}”为依据处理非必要个人信息，系统无法核实该依据。",
                f"'{activity.key}' processes non-necessary PI without consent on basis '{activity.basis}', "
                "which the system cannot verify.",
                "在用途中写明所依据的法律条款；无法写明的，改为以同意为依据。",
                "Cite the law relied on in the purpose; if none can be cited, change the basis to consent.",
            )
        ]  # fmt: skip
    return []


def _separate_problems(activity: Activity, ctx: _Map) -> list[Finding]:
    found = []
    for kind, items in sorted(_triggers(activity, ctx.pi).items()):
        if kind in activity.separate:
            continue
        article, what_zh, what_en = _SEPARATE_ARTICLES[kind]
        found.append(
            Finding(
                f"{kind}_without_separate_consent", Severity.ERROR, activity.key, items, article,
                f"“{activity.key}”涉及{what_zh}（{ctx.zh(items)}），但未设单独同意。",
                f"'{activity.key}' involves {what_en} ({ctx.en(items)}) without a separate consent.",
                f"为“{activity.key}”增加单独同意“{kind}”，在独立的弹窗中说明目的、方式、信息种类和接收方后征求。",
                f"Add separate consent '{kind}' to '{activity.key}' and ask it in its own prompt that states the "
                "purpose, method, PI types and recipients.",
            )
        )  # fmt: skip
    return found


def _undisclosed(activity: Activity, recipient: Recipient, ctx: _Map) -> Finding:
    items = tuple(sorted(set(recipient.pi_items)))
    return Finding(
        "recipient_not_disclosed", Severity.ERROR, activity.key, items, "PIPL Arts 17, 23; NDR Art 21; MIIT 2023",
        f"接收方“{recipient.name}”（{ctx.zh(items)}）未列入第三方共享清单。",
        f"Recipient '{recipient.name}' ({ctx.en(items)}) is not in the third-party sharing list.",
        f"将“{recipient.name}”的名称、联系方式、目的、方式和信息种类列入第三方共享清单。",
        f"List '{recipient.name}' with its name, contact details, purpose, method and PI types in the "
        "third-party sharing list.",
    )  # fmt: skip


def _bundles(activities: Sequence[Activity], ctx: _Map) -> list[Finding]:
    """A prompt may ask one purpose. A consent activity asked together with another purpose is bundled; the
    purpose of a non-consent activity in the prompt (or else the first by key) is the one that stays."""
    choices: dict[str, list[Activity]] = {}
    for activity in activities:
        if activity.choice is not None:
            choices.setdefault(activity.choice, []).append(activity)
    found = []
    for choice, members in sorted(choices.items()):
        consent = [a for a in members if effective_basis(a, ctx.app_types, ctx.catalogue) is LegalBasis.CONSENT]
        anchor = next((a for a in members if a not in consent), members[0])
        found += [_bundled(a, anchor, choice) for a in consent if a.purpose != anchor.purpose]
    return found


def _bundled(activity: Activity, anchor: Activity, choice: str) -> Finding:
    return Finding(
        "bundled_consent", Severity.ERROR, activity.key, tuple(sorted(set(activity.pi_items))),
        "Provisions Art 12; PIPL Art 14; MIIT 2023",
        f"“{activity.key}”（{activity.purpose}）与“{anchor.key}”（{anchor.purpose}）在同一选项“{choice}”中捆绑征求同意。",
        f"'{activity.key}' ({activity.purpose}) is bundled with '{anchor.key}' ({anchor.purpose}) "
        f"in choice '{choice}'.",
        f"为“{activity.key}”设单独的选项“{activity.key}”，可单独拒绝而不影响“{anchor.key}”。",
        f"Ask '{activity.key}' in its own choice '{activity.key}', refusable without affecting '{anchor.key}'.",
    )  # fmt: skip


def _missing_basic_functions(activities: Sequence[Activity], ctx: _Map) -> list[Finding]:
    """Types whose basic function needs PI but no activity performs (types needing no PI need no activity)."""
    performed = {a.basic_type for a in activities}
    found = []
    for code in sorted(set(ctx.app_types)):
        app_type = ctx.catalogue.get(code)
        if app_type.no_pi_needed or code in performed:
            continue
        found.append(
            Finding(
                "basic_function_missing", Severity.INFO, None, (), "39-type rules Art 5; Provisions Art 12",
                f"没有处理活动履行第{code}类（{app_type.name_zh}）的基本功能：{app_type.basic_function_zh}。",
                f"No activity performs the basic function of type {code} ({app_type.name_en}): "
                f"{app_type.basic_function_en}.",
                f"增加一个 basic_type 为 {code}、只含必要个人信息的处理活动，或从应用类型中删除第{code}类。",
                f"Add an activity with basic_type {code} and only necessary PI, or remove type {code} from the app.",
            )
        )  # fmt: skip
    return found


# --- consent ledger and checks --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    subject: str  # an activity key, or separate_subject(activity key, kind)
    action: ConsentAction
    at: dt.datetime


def current_state(events: Iterable[LedgerEvent]) -> dict[str, ConsentAction]:
    """The latest action per subject; events at the same instant keep their ledger order."""
    return {e.subject: e.action for e in sorted(events, key=lambda e: e.at)}


def transition_problem(current: ConsentAction | None, new: ConsentAction) -> str | None:
    """Why `new` cannot follow `current` on one subject, or None. Only withdrawing needs a standing grant;
    granting again (after a withdrawal, or to confirm a new policy version) and refusing are always allowed."""
    if new is ConsentAction.WITHDRAWN and current is not ConsentAction.GRANTED:
        return "consent.not_granted_cannot_withdraw"
    return None


def recorded_action(current: ConsentAction | None, new: ConsentAction) -> ConsentAction:
    """What to write to the ledger: refusing a standing grant is a withdrawal (PIPL Art 15), so it must carry
    the withdrawal's consequences (stop SDKs and jobs, Art 47 deletion)."""
    if new is ConsentAction.REFUSED and current is ConsentAction.GRANTED:
        return ConsentAction.WITHDRAWN
    return new


@dataclass(frozen=True, slots=True)
class CheckDecision:
    allowed: bool
    basis: LegalBasis | None  # the basis processing rests on when allowed
    reason: str | None  # stable code when denied
    missing: tuple[str, ...] = ()  # separate-consent kinds still needed (consent.separate_required)


_STATE_REASONS: Final = {
    None: "consent.not_granted",
    ConsentAction.REFUSED: "consent.refused",
    ConsentAction.WITHDRAWN: "consent.withdrawn",
}


def decide(
    activity: Activity,
    *,
    app_types: Sequence[int],
    catalogue: Catalogue,
    pi_catalogue: PiCatalogue,
    states: Mapping[str, ConsentAction],
    age: int | None,
    guardian_consent: bool,
    policy_in_force: bool,
) -> CheckDecision:
    """May the activity process this user's PI now?

    Without a privacy policy in force nothing may be processed except on a legal duty or in an emergency
    (PIPL Arts 17–18). A non-consent basis then allows it outright: a basic function on necessary PI survives
    every refusal and withdrawal (CPI-04). Consent needs a guardian's consent under 14 (age None = not known
    to be a minor), a standing grant of the activity, and a grant of each separate consent it needs or asks.
    """
    basis = effective_basis(activity, app_types, catalogue)
    if not policy_in_force and basis not in NOTICE_EXEMPT_BASES:
        return CheckDecision(allowed=False, basis=None, reason="consent.policy_missing")
    if basis is not LegalBasis.CONSENT:
        return CheckDecision(allowed=True, basis=basis, reason=None)
    if age is not None and age < GUARDIAN_AGE and not guardian_consent:
        return CheckDecision(allowed=False, basis=None, reason="consent.guardian_required")
    state = states.get(activity.key)
    if state is not ConsentAction.GRANTED:
        return CheckDecision(allowed=False, basis=None, reason=_STATE_REASONS[state])
    kinds = required_separate(activity, pi_catalogue) | activity.separate
    missing = sorted(k for k in kinds if states.get(separate_subject(activity.key, k)) is not ConsentAction.GRANTED)
    if missing:
        return CheckDecision(
            allowed=False, basis=None, reason="consent.separate_required", missing=tuple(k.value for k in missing)
        )
    return CheckDecision(allowed=True, basis=LegalBasis.CONSENT, reason=None)


# --- working days and data-subject requests -------------------------------------------------------------------------


DUE_WORKING_DAYS: Final = 15  # 2019 CAC/MIIT/MPS/SAMR method, category 6


def is_working_day(day: dt.date, *, holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> bool:
    """Monday–Friday unless a public holiday; a weekend day only when it is a make-up workday (调休)."""
    return day not in holidays and (day.weekday() < 5 or day in workdays)


def _check_calendar(holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> None:
    if clash := sorted(holidays & workdays):
        raise ValueError(f"dates both holiday and make-up workday: {[d.isoformat() for d in clash]}")


def add_working_days(
    start: dt.date, days: int, *, holidays: frozenset[dt.date], workdays: frozenset[dt.date]
) -> dt.date:
    """The `days`-th working day after `start`; counting starts the next day (Civil Code Art 201)."""
    if days < 0:
        raise ValueError("days must not be negative")
    _check_calendar(holidays, workdays)
    day = start
    while days:
        day += dt.timedelta(days=1)
        days -= is_working_day(day, holidays=holidays, workdays=workdays)
    return day


def working_days_between(a: dt.date, b: dt.date, *, holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> int:
    """Working days d with a < d <= b (negative when b is before a): the inverse of add_working_days."""
    _check_calendar(holidays, workdays)
    if b < a:
        return -working_days_between(b, a, holidays=holidays, workdays=workdays)
    span = (b - a).days
    return sum(
        is_working_day(a + dt.timedelta(days=n), holidays=holidays, workdays=workdays) for n in range(1, span + 1)
    )


class RequestKind(enum.StrEnum):
    """Rights under PIPL Arts 44–48 and NDR Arts 24–25."""

    ACCESS = "access"
    COPY = "copy"
    CORRECTION = "correction"
    DELETION = "deletion"
    WITHDRAWAL = "withdrawal"
    CANCELLATION = "cancellation"  # account deregistration (注销)
    EXPLANATION = "explanation"
    PORTABILITY = "portability"


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    VERIFYING = "verifying"  # re-verifying the requester
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"  # with reasons (PIPL Art 50)
    CANCELLED = "cancelled"  # by the requester


REQUEST_TRANSITIONS: Final[Mapping[RequestStatus, frozenset[RequestStatus]]] = MappingProxyType(
    {
        RequestStatus.RECEIVED: frozenset(
            {RequestStatus.VERIFYING, RequestStatus.IN_PROGRESS, RequestStatus.REJECTED, RequestStatus.CANCELLED}
        ),
        RequestStatus.VERIFYING: frozenset(
            {RequestStatus.IN_PROGRESS, RequestStatus.REJECTED, RequestStatus.CANCELLED}
        ),
        RequestStatus.IN_PROGRESS: frozenset(
            {RequestStatus.COMPLETED, RequestStatus.REJECTED, RequestStatus.CANCELLED}
        ),
        RequestStatus.COMPLETED: frozenset(),
        RequestStatus.REJECTED: frozenset(),
        RequestStatus.CANCELLED: frozenset(),
    }
)


def request_transition_problem(current: RequestStatus, target: RequestStatus) -> str | None:
    """Why a request cannot move from `current` to `target`, or None. Closed requests stay closed."""
    if not REQUEST_TRANSITIONS[current]:
        return "consent.request_closed"
    if target not in REQUEST_TRANSITIONS[current]:
        return "consent.request_transition_invalid"
    return None


def request_due(received: dt.date, *, holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> dt.date:
    """When a request received on `received` must be answered: DUE_WORKING_DAYS working days later."""
    return add_working_days(received, DUE_WORKING_DAYS, holidays=holidays, workdays=workdays)


BEIJING: Final = dt.timezone(dt.timedelta(hours=8), "UTC+8")  # China keeps one zone and no daylight saving


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The configured working-day calendar: public holidays and weekend make-up workdays (调休)."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def due(self, received_at: dt.datetime) -> dt.date:
        """The due date of a request received at `received_at` (aware), counted on its Beijing calendar date."""
        return request_due(beijing_date(received_at), holidays=self.holidays, workdays=self.workdays)

    def days_left(self, now: dt.datetime, due_on: dt.date) -> int:
        """Working days from today (Beijing) to the due date: 0 on the due date, negative when overdue."""
        return working_days_between(beijing_date(now), due_on, holidays=self.holidays, workdays=self.workdays)


def beijing_date(at: dt.datetime) -> dt.date:
    if at.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return at.astimezone(BEIJING).date()


# Which requests erase, export or withdraw; correction and explanation are answered by the staff note.
EXPORT_KINDS: Final = frozenset({RequestKind.ACCESS, RequestKind.COPY, RequestKind.PORTABILITY})
ERASE_KINDS: Final = frozenset({RequestKind.DELETION, RequestKind.CANCELLATION})


def hold_blocks(kind: RequestKind, *, hold_active: bool) -> bool:
    """A legal hold forbids erasing: a deletion or cancellation request is refused while one is active."""
    return hold_active and kind in ERASE_KINDS
