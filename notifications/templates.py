"""Named notifications: their texts live in the Babel catalogs under locales/.

Each notification has an SMS text (short: at most 2 segments in Latin scripts, 3 in others, a
test holds every language to it), an email subject, and an email body made of the SMS text and
a footer. Texts are rendered in the recipient's language, never the request's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape
from types import MappingProxyType
from typing import Any

import marshmallow as ma
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from journey.config import RTL_LANGUAGES, SUPPORTED_LANGUAGES
from journey.core.per_app import PerApp

# Every recipient carries these (notifications.hooks.Recipient.params); a template uses them
# without declaring them.
RECIPIENT_PARAMS = frozenset({"name", "reference", "centre", "phone"})


@dataclass(frozen=True)
class Param:
    """The type of one template parameter: what Python value a caller passes, and the
    marshmallow field that reads it from JSON (campaigns)."""

    kind: str
    accepts: Callable[[Any], bool]  # a Python value a domain passes
    field: Callable[[], ma.fields.Field]


def _encodable(value: str) -> None:
    # A lone surrogate ("\ud800") is valid JSON but no SMS, email or database can hold it.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError([_l("Text must be valid Unicode.")]) from None


TEXT = Param("text", lambda v: isinstance(v, str), lambda: ma.fields.String(
    required=True, validate=[ma.validate.Length(min=1, max=200), _encodable]))
DATE = Param("date", lambda v: isinstance(v, date) and not isinstance(v, datetime),
             lambda: ma.fields.Date(required=True,
                                    metadata={"description": "Shown in the recipient's language."}))
URL = Param("url", lambda v: isinstance(v, str) and re.fullmatch(r"https?://\S+", v) is not None,
            lambda: ma.fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                                  validate=[ma.validate.Length(max=200), _encodable]))
# What a caseworker reads when a value is of the wrong kind (marshmallow's own words).
_NOT_A = {"text": _l("Not a valid string."), "date": _l("Not a valid date."),
          "url": _l("Not a valid URL.")}


class TemplateParamsError(ValueError):
    """A caller passed params a template does not declare, or left out ones it does."""

    def __init__(self, template: str, errors: list[dict[str, str]]) -> None:
        super().__init__(f"params of {template}: {errors}")
        self.errors = errors


@dataclass(frozen=True)
class Template:
    """A named notification and the params its callers must pass (besides RECIPIENT_PARAMS)."""

    name: str
    sms: Any
    subject: Any
    params: Mapping[str, Param] = field(default_factory=dict)
    urgent: bool = False  # sent at night too
    # The params as a marshmallow schema class, built once from `params` (see schema()).
    _schema: type[ma.Schema] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        title = "".join(part.title() for part in self.name.replace(".", "_").split("_"))
        object.__setattr__(self, "_schema", ma.Schema.from_dict(
            {key: p.field() for key, p in self.params.items()}, name=f"{title}Params"))

    def schema(self) -> ma.Schema:
        """The params as a marshmallow schema: campaigns load JSON through it (unknown refused)."""
        return self._schema()

    def check(self, values: Mapping[str, Any], *, rendering: bool = False) -> None:
        """Raise TemplateParamsError unless values holds every declared param, of its type.

        A caller's params (rendering=False) may hold nothing else. Rendering, values also carry
        the recipient's params, which must then be there too; other keys are ignored.
        """
        errors = []
        for key, param in self.params.items():
            value = values.get(key)
            if key not in values:
                errors.append({"field": f"params.{key}", "code": "required",
                               "message": _("Missing data for required field.")})
            elif not param.accepts(value):
                errors.append({"field": f"params.{key}", "code": "invalid",
                               "message": str(_NOT_A.get(param.kind, _l("Invalid value.")))})
        if rendering:
            unknown: set[str] = set()
            missing = RECIPIENT_PARAMS - set(self.params) - set(values)
        else:
            unknown, missing = set(values) - set(self.params), set()
        errors += [{"field": f"params.{key}", "code": "required",
                    "message": _("Missing data for required field.")} for key in sorted(missing)]
        errors += [{"field": f"params.{key}", "code": "unknown-field",
                    "message": _("Unknown field.")} for key in sorted(unknown)]
        if errors:
            raise TemplateParamsError(self.name, errors)


_STAGE_SMS = {
    "intake": _l("%(name)s, you are registered with %(centre)s. Your reference is %(reference)s. "
                 "Reply HELP for help."),
    "preselection": _l("%(name)s, you have been pre-selected. %(centre)s will call you about the "
                       "next steps."),
    "training": _l("%(name)s, your training starts now. Ask %(centre)s if you need support."),
    "matched": _l("Good news, %(name)s: an employer has selected you. %(centre)s will explain the "
                  "next steps."),
    "pre_departure": _l("%(name)s, your departure is being prepared. Please attend the "
                        "pre-departure orientation."),
    "arrival": _l("Welcome, %(name)s! We are glad you arrived safely. Contact %(centre)s for any "
                  "help."),
    "stay": _l("%(name)s, your stay has begun. %(centre)s can help with housing, health and "
               "banking."),
    "onward": _l("%(name)s, your move to another country is recorded. Keep your documents with "
                 "you."),
    "return": _l("%(name)s, your return is being prepared. %(centre)s will share information "
                 "before you travel."),
    "reintegration": _l("Welcome home, %(name)s. %(centre)s can help you find work and services."),
    "closed": _l("%(name)s, your file with %(centre)s is closed. Thank you, and good luck."),
    "withdrawn": _l("%(name)s, your withdrawal is recorded. You can change your mind at any time: "
                    "contact %(centre)s."),
    "travel_blocked": _l("%(name)s, we know you could not travel. %(centre)s will contact you "
                         "about your options."),
    "local_track": _l("%(name)s, %(centre)s will help you find work in your home country."),
}

TEMPLATES: dict[str, Template] = {
    f"stage_entered.{stage}": Template(f"stage_entered.{stage}", sms,
                                       _l("An update on your journey"))
    for stage, sms in _STAGE_SMS.items()
}
TEMPLATES.update({t.name: t for t in (
    Template("checklist_item_due",
             _l("Reminder: \"%(item)s\" is due on %(date)s. Contact %(centre)s if you need help."),
             _l("A reminder about your next step"), {"item": TEXT, "date": DATE}),
    Template("permit_expiring",
             _l("%(name)s, your permit expires on %(date)s. Contact %(centre)s now to renew it."),
             _l("Your permit expires soon"), {"date": DATE}),
    Template("appointment_reminder",
             _l("Reminder: %(what)s on %(date)s at %(place)s. Reply HELP if you cannot come."),
             _l("A reminder about your appointment"), {"what": TEXT, "date": DATE, "place": TEXT}),
    Template("welcome_package",
             _l("Welcome to %(country)s! Your welcome package: %(url)s. In an emergency call "
                "%(phone)s."),
             _l("Your welcome package"), {"country": TEXT, "url": URL}),
    Template("pre_return_info",
             _l("%(name)s, before you return: check your final pay, close accounts and keep your "
                "certificates. Details: %(url)s"),
             _l("Information before you return"), {"url": URL}),
    Template("referral_update",
             _l("%(name)s, there is news about your referral to %(service)s. %(centre)s will "
                "contact you."),
             _l("News about your referral"), {"service": TEXT}),
    Template("onboarding_confirmation",
             _l("%(name)s, please confirm that you have started work with %(employer)s. Reply YES "
                "or NO."),
             _l("Please confirm you have started work"), {"employer": TEXT}),
    # A complaint's reference is the grievance's own, not the participant's: callers pass it.
    Template("grievance_acknowledged",
             _l("We received your complaint %(reference)s. It is confidential. We will reply by "
                "%(date)s."),
             _l("We received your complaint"), {"reference": TEXT, "date": DATE}, urgent=True),
    Template("grievance_updated",
             _l("There is an update on your complaint %(reference)s. %(centre)s will contact you."),
             _l("An update on your complaint"), {"reference": TEXT}),
    Template("grievance_resolved",
             _l("Your complaint %(reference)s is resolved. Reply if you are not satisfied."),
             _l("Your complaint is resolved"), {"reference": TEXT}),
)})


# Replies to inbound SMS.
HELP_REPLY = _l("%(centre)s: reply STOP to stop messages, START to receive them again. For help "
                "call %(phone)s.")
STOP_REPLY = _l("You will not receive more messages. Reply START to receive them again.")
START_REPLY = _l("You will receive messages again. Reply STOP to stop.")
UNKNOWN_REPLY = _l("Thank you for your message. We could not find your number; a caseworker will "
                   "contact you.")
RECEIVED_REPLY = _l("Thank you, your message was received. A caseworker will reply.")
EMAIL_FOOTER = _l("You receive these messages because you agreed to updates from %(centre)s.")


def locale_chain(language: str | None, fallback: str | None) -> str:
    """The participant's language, else the programme's, else English."""
    for lang in (language, fallback, "en"):
        if lang in SUPPORTED_LANGUAGES:
            return lang
    return "en"


def format_params(params: dict[str, Any], language: str) -> dict[str, Any]:
    """Dates, numbers and money in the recipient's locale; everything else as text."""
    out = {}
    for key, value in params.items():
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            out[key] = format_date(value, format="medium", locale=language)
        elif isinstance(value, dict) and {"amount", "currency"} <= set(value):
            out[key] = format_currency(Decimal(str(value["amount"])), value["currency"],
                                       locale=language)
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            out[key] = format_decimal(value, locale=language)
        else:
            out[key] = "" if value is None else str(value)
    return out


@dataclass(frozen=True)
class Rendered:
    language: str
    sms: str
    subject: str
    text: str
    html: str
    rtl: bool


@dataclass
class TemplateRegistry:
    """One app's notifications: the catalog above, then the templates its domains declare."""

    templates: dict[str, Template] = field(default_factory=lambda: dict(TEMPLATES))
    _texts: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)

    def add(self, template: Template) -> None:
        existing = self.templates.get(template.name)
        if existing is not None and existing is not template:
            raise ValueError(f"notification template {template.name!r} is declared twice")
        self.templates[template.name] = template

    def __getitem__(self, name: str) -> Template:
        return self.templates[name]

    def __contains__(self, name: object) -> bool:
        return name in self.templates

    def texts(self, name: str, language: str) -> tuple[str, str, str]:
        """The translated patterns of a notification, looked up once per language.

        Switching locale costs far more than formatting; a campaign renders thousands of
        messages in a handful of languages.
        """
        key = (name, language)
        if key not in self._texts:
            template = self.templates[name]
            with force_locale(language):
                self._texts[key] = (str(template.sms), str(template.subject), str(EMAIL_FOOTER))
        return self._texts[key]


# templates_for() is the (current) app's notification templates; init_app(app) gives an app
# its own.
templates_for = PerApp("notification_templates", TemplateRegistry)
init_app = templates_for.init_app


def render(name: str, language: str, params: dict[str, Any]) -> Rendered:
    """A notification's texts in one language (falling back to English per message).

    params holds the template's declared params and the recipient's (RECIPIENT_PARAMS); one
    missing or of the wrong type is a TemplateParamsError, never a KeyError half-way through.
    """
    templates_for()[name].check(params, rendering=True)
    values = format_params(params, language)
    sms, subject, footer = (text % values for text in templates_for().texts(name, language))
    rtl = language in RTL_LANGUAGES
    html = f"<p>{escape(sms)}</p>\n<p><small>{escape(footer)}</small></p>"
    return Rendered(language, sms, subject, f"{sms}\n\n{footer}", html, rtl)


def render_reply(message: Any, language: str, params: dict[str, Any]) -> str:
    with force_locale(language):
        return str(message) % format_params(params, language)
