"""Named notifications: their texts live in the Babel catalogs under locales/.

Each notification has an SMS text (short: at most 2 segments in Latin scripts, 3 in others, a
test holds every language to it with names and places typical of it), an email subject of its
own, and an email body: the SMS text, or an email text where the SMS asks for an SMS reply
("Reply HELP"), and a footer. Texts are rendered in the recipient's language, never the
request's. In an SMS the names and places a text carries are written in GSM-7 when the text
itself is (notifications.gsm), so "Lucía" does not triple a message's price.
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
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from journey.config import RTL_LANGUAGES, SUPPORTED_LANGUAGES
from journey.core.per_app import PerApp
from journey.core.schemas import Country
from notifications import gsm, segments

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


# A lazy string (a checklist item's reminder) is translated into the recipient's language.
TEXT = Param("text", lambda v: isinstance(v, str | LazyString), lambda: ma.fields.String(
    required=True, validate=[ma.validate.Length(min=1, max=200), _encodable]))
DATE = Param("date", lambda v: isinstance(v, date) and not isinstance(v, datetime),
             lambda: ma.fields.Date(required=True,
                                    metadata={"description": "Shown in the recipient's language."}))
URL = Param("url", lambda v: isinstance(v, str) and re.fullmatch(r"https?://\S+", v) is not None,
            lambda: ma.fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                                  validate=[ma.validate.Length(max=200), _encodable]))
# An ISO 3166 code, shown as the country's name in the recipient's language ("PT": "Portugal").
COUNTRY = Param("country", lambda v: isinstance(v, str) and re.fullmatch(r"[A-Z]{2}", v) is not None,
                lambda: Country(required=True, metadata={
                    "description": "ISO 3166-1 alpha-2; shown as the country's name in the "
                                   "recipient's language."}))
# What a caseworker reads when a value is of the wrong kind (marshmallow's own words).
_NOT_A = {"text": _l("Not a valid string."), "date": _l("Not a valid date."),
          "url": _l("Not a valid URL."),
          "country": _l("Not an ISO 3166-1 alpha-2 country code.")}


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
    # The email body when the SMS text only makes sense as an SMS ("Reply HELP"); else the SMS.
    email: Any = None
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

# Each email says in its subject what it is about, so a migrant can find it again.
_STAGE_SUBJECTS = {
    "intake": _l("You are registered"),
    "preselection": _l("You have been pre-selected"),
    "training": _l("Your training starts"),
    "matched": _l("An employer has selected you"),
    "pre_departure": _l("Your departure is being prepared"),
    "arrival": _l("Welcome: we are glad you arrived safely"),
    "stay": _l("Your stay has begun"),
    "onward": _l("Your move to another country is recorded"),
    "return": _l("Your return is being prepared"),
    "reintegration": _l("Welcome home"),
    "closed": _l("Your file is closed"),
    "withdrawn": _l("Your withdrawal is recorded"),
    "travel_blocked": _l("About your travel"),
    "local_track": _l("Finding work in your home country"),
}
# Email texts of the SMS that ask for an SMS reply: an email is not answered with a keyword.
_STAGE_EMAIL = {
    "intake": _l("%(name)s, you are registered with %(centre)s. Your reference is %(reference)s. "
                 "For help, call %(phone)s."),
}

TEMPLATES: dict[str, Template] = {
    f"stage_entered.{stage}": Template(f"stage_entered.{stage}", sms, _STAGE_SUBJECTS[stage],
                                       email=_STAGE_EMAIL.get(stage))
    for stage, sms in _STAGE_SMS.items()
}
TEMPLATES.update({t.name: t for t in (
    # item: the checklist item as the migrant reads it (ItemDefinition.reminder_text()), a
    # sentence without its full stop.
    Template("checklist_item_due",
             _l("Reminder for %(date)s: %(item)s. Ask %(centre)s if you need help."),
             _l("A reminder about your next step"), {"item": TEXT, "date": DATE}),
    Template("permit_expiring",
             _l("%(name)s, your permit expires on %(date)s. Contact %(centre)s now to renew it."),
             _l("Your permit expires soon"), {"date": DATE}),
    Template("appointment_reminder",
             _l("Reminder: %(what)s on %(date)s at %(place)s. Reply HELP if you cannot come."),
             _l("A reminder about your appointment"), {"what": TEXT, "date": DATE, "place": TEXT},
             email=_l("Reminder: %(what)s on %(date)s at %(place)s. If you cannot come, call "
                      "%(phone)s.")),
    # emergency: the destination's emergency number; phone (the recipient's) the helpline.
    Template("welcome_package",
             _l("Welcome to %(country)s! Your welcome package: %(url)s. Emergency: %(emergency)s. "
                "Helpline: %(phone)s."),
             _l("Your welcome package"), {"country": COUNTRY, "url": URL, "emergency": TEXT}),
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
             _l("Please confirm you have started work"), {"employer": TEXT},
             email=_l("%(name)s, please tell %(centre)s whether you have started work with "
                      "%(employer)s.")),
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
             _l("Your complaint is resolved"), {"reference": TEXT},
             email=_l("Your complaint %(reference)s is resolved. If you are not satisfied, "
                      "contact %(centre)s.")),
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


def country_name(code: str, language: str) -> str:
    """A country's name in a language ("PT", "fr": "Portugal"); the code itself if unknown."""
    return Locale.parse(language).territories.get(code.upper(), code) if code else ""


def format_params(params: dict[str, Any], language: str,
                  kinds: Mapping[str, Param] | None = None) -> dict[str, Any]:
    """Dates, numbers, money and countries in the recipient's locale; everything else as text.

    kinds names the params that are a country code; a lazy string is translated into language.
    """
    out = {}
    for key, value in params.items():
        if kinds is not None and key in kinds and kinds[key].kind == "country":
            out[key] = country_name(value, language)
            continue
        if isinstance(value, LazyString):
            with force_locale(language):
                out[key] = str(value)
            continue
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
    _texts: dict[tuple[str, str], tuple[str, str, str, str]] = field(default_factory=dict)

    def add(self, template: Template) -> None:
        existing = self.templates.get(template.name)
        if existing is not None and existing is not template:
            raise ValueError(f"notification template {template.name!r} is declared twice")
        self.templates[template.name] = template

    def __getitem__(self, name: str) -> Template:
        return self.templates[name]

    def __contains__(self, name: object) -> bool:
        return name in self.templates

    def texts(self, name: str, language: str) -> tuple[str, str, str, str]:
        """The translated patterns of a notification, looked up once per language: SMS,
        subject, footer, email text.

        Switching locale costs far more than formatting; a campaign renders thousands of
        messages in a handful of languages.
        """
        key = (name, language)
        if key not in self._texts:
            template = self.templates[name]
            with force_locale(language):
                sms = str(template.sms)
                self._texts[key] = (sms, str(template.subject), str(EMAIL_FOOTER),
                                    str(template.email) if template.email is not None else sms)
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
    template = templates_for()[name]
    template.check(params, rendering=True)
    values = format_params(params, language, template.params)
    sms, subject, footer, email = templates_for().texts(name, language)
    text = email % values
    footer = footer % values
    html = f"<p>{escape(text)}</p>\n<p><small>{escape(footer)}</small></p>"
    return Rendered(language, sms_text(sms, values), subject % values, f"{text}\n\n{footer}",
                    html, language in RTL_LANGUAGES)


def sms_text(pattern: str, values: Mapping[str, str]) -> str:
    """An SMS from its translated pattern, written so that a name or a place never makes it
    cost more (the carriers' GSM-7 fallback, done by us: notifications.gsm).

    When the pattern is GSM-7, so are the names and places put in it ("Lucía" → "Lucia").
    A pattern in UCS-2 keeps them as written, since that costs nothing more; except that a
    Latin-script message which needs more parts in UCS-2 than it would in GSM-7 (a Portuguese
    "não" and a long place name) is sent wholly in its GSM-7 form. Other scripts are never
    changed: there UCS-2 is unavoidable.
    """
    if gsm.is_gsm7(segments.normalise(pattern)):
        return pattern % {key: gsm.fallback(value) for key, value in values.items()}
    text = pattern % values
    folded = segments.normalise(gsm.fallback(text))
    if gsm.is_gsm7(folded) and (segments.count(folded).segments
                                < segments.count(segments.normalise(text)).segments):
        return folded
    return text


def render_reply(message: Any, language: str, params: dict[str, Any]) -> str:
    with force_locale(language):
        return sms_text(str(message), format_params(params, language))
