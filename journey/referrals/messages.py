"""The referral's messages: their templates, and the texts put in them.

The migrant is told where they were referred (the service and its provider), the address and
opening hours ("Mon-Fri 09:00-17:00", weekday names in their language) and what to bring. A
confidential location's address is never written in a message: the caseworker gives it. The SMS
must stay within the segment budget (2 parts in Latin scripts, 3 in others), so ``fit`` shortens
the free texts (the provider's name, the documents, the service's name, the address last) until
it does.

The referring caseworker is emailed when the partner declines or completes, or the referral
expires; the referring office's supervisors and focal points when a deadline is missed (the
scan, journey.referrals.scan). Staff emails name references and a link, never the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any

from babel.dates import get_day_names

from journey.core.i18n import _l
from notifications import segments
from notifications.templates import TEXT, URL, Template, render

SENT = "referral_sent"
SENT_CONFIDENTIAL = "referral_sent_confidential"
DECLINED = "referral_staff_declined"
COMPLETED = "referral_staff_completed"
EXPIRED = "referral_staff_expired"
ESCALATED_RESPONSE = "referral_escalated_response"
ESCALATED_COMPLETION = "referral_escalated_completion"

# To the migrant. service: the service's name; provider: who gives it; address: street and
# city; hours: compact opening hours; documents: what to bring.
SENT_TEMPLATE = Template(
    SENT,
    _l("You are referred to %(service)s, %(provider)s. Address: %(address)s. Open: %(hours)s. "
       "Bring: %(documents)s."),
    _l("Where you were referred"),
    {"service": TEXT, "provider": TEXT, "address": TEXT, "hours": TEXT, "documents": TEXT},
    email=_l("%(name)s, %(centre)s referred you to %(service)s, %(provider)s. Address: "
             "%(address)s. Opening hours: %(hours)s. Please bring: %(documents)s. Questions: "
             "%(phone)s."))
# The same, for a confidential location (a shelter): no address, ever.
SENT_CONFIDENTIAL_TEMPLATE = Template(
    SENT_CONFIDENTIAL,
    _l("You are referred to %(service)s, %(provider)s. Your caseworker will give you the "
       "address. Open: %(hours)s. Bring: %(documents)s."),
    _l("Where you were referred"),
    {"service": TEXT, "provider": TEXT, "hours": TEXT, "documents": TEXT},
    email=_l("%(name)s, %(centre)s referred you to %(service)s, %(provider)s. Your caseworker "
             "will give you the address. Opening hours: %(hours)s. Please bring: %(documents)s. "
             "Questions: %(phone)s."))

# To the referring caseworker (email). reference: the referral's; participant: the person's
# reference (never their name); reason: the decline reason or the outcome, as a title.
DECLINED_TEMPLATE = Template(
    DECLINED,
    _l("Referral %(reference)s of %(participant)s to %(service)s was declined: %(reason)s. "
       "Open it: %(url)s"),
    _l("A referral was declined"),
    {"reference": TEXT, "participant": TEXT, "service": TEXT, "reason": TEXT, "url": URL})
COMPLETED_TEMPLATE = Template(
    COMPLETED,
    _l("Referral %(reference)s of %(participant)s to %(service)s is completed: %(reason)s. "
       "Open it: %(url)s"),
    _l("A referral is completed"),
    {"reference": TEXT, "participant": TEXT, "service": TEXT, "reason": TEXT, "url": URL})
EXPIRED_TEMPLATE = Template(
    EXPIRED,
    _l("Referral %(reference)s of %(participant)s to %(service)s expired: the service did not "
       "answer in time. Open it: %(url)s"),
    _l("A referral expired without an answer"),
    {"reference": TEXT, "participant": TEXT, "service": TEXT, "url": URL})
# To the referring office's supervisors and focal points. due: the missed deadline, local time.
ESCALATED_RESPONSE_TEMPLATE = Template(
    ESCALATED_RESPONSE,
    _l("Referral %(reference)s to %(service)s was not answered by %(due)s. Open it: %(url)s"),
    _l("A referral was not answered in time"),
    {"reference": TEXT, "service": TEXT, "due": TEXT, "url": URL}, urgent=True)
ESCALATED_COMPLETION_TEMPLATE = Template(
    ESCALATED_COMPLETION,
    _l("Referral %(reference)s to %(service)s was not completed by %(due)s. Open it: %(url)s"),
    _l("A referral was not completed in time"),
    {"reference": TEXT, "service": TEXT, "due": TEXT, "url": URL}, urgent=True)

TEMPLATES = (SENT_TEMPLATE, SENT_CONFIDENTIAL_TEMPLATE, DECLINED_TEMPLATE, COMPLETED_TEMPLATE,
             EXPIRED_TEMPLATE, ESCALATED_RESPONSE_TEMPLATE, ESCALATED_COMPLETION_TEMPLATE)

# When the service lists nothing.
NO_DOCUMENTS = _l("nothing in particular")
NO_HOURS = _l("ask the service")

# Scripts written in Latin letters: 2 parts; the others (UCS-2 anyway) 3.
LATIN = frozenset({"en", "fr", "es", "pt", "fil", "id"})
# What fit() shortens, in this order, and the fewest characters each keeps: the provider's name
# (the service says where), the documents, the service's name, and the address last (the street
# and number come first in it, so they are what stays).
_SHRINK = (("provider", 16), ("documents", 24), ("service", 20), ("address", 24))
_ELLIPSIS = "\u2026"  # "..." once the SMS is GSM-7 (notifications.segments.normalise)


def budget(language: str) -> int:
    return 2 if language in LATIN else 3


def compact_hours(rows: Iterable[tuple[int, time, time]], language: str) -> str:
    """Weekly hours as "Mon-Fri 09:00-17:00, Sat 09:00-12:00", weekday names in ``language``.

    Consecutive days with the same hours share one range; a day with two openings lists both."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in rows:
        by_day.setdefault(weekday, []).append((opens, closes))
    if not by_day:
        return ""
    names = get_day_names("abbreviated", locale=language)  # 0 = Monday
    groups: list[list[Any]] = []  # [first day, last day, hours]
    for day in sorted(by_day):
        hours = tuple(sorted(by_day[day]))
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == hours:
            groups[-1][1] = day
        else:
            groups.append([day, day, hours])
    parts = []
    for first, last, hours in groups:
        days = names[first - 1] if first == last else f"{names[first - 1]}-{names[last - 1]}"
        spans = ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in hours)
        parts.append(f"{days} {spans}")
    return ", ".join(parts)


def _cut(text: str, keep: int) -> str:
    return text if len(text) <= keep else text[:max(1, keep - len(_ELLIPSIS))].rstrip() + _ELLIPSIS


def _segments(name: str, language: str, values: dict[str, Any]) -> int:
    return segments.count(segments.normalise(render(name, language, values).sms)).segments


def fit(name: str, language: str, params: dict[str, Any],
        recipient_params: dict[str, Any]) -> dict[str, Any]:
    """The params of a migrant's SMS shortened until it fits the language's budget: each text
    of _SHRINK in turn, a few characters at a time, never below its minimum. Needs an app."""
    params = dict(params)
    limit = budget(language)
    for key, least in _SHRINK:
        while (isinstance(params.get(key), str) and len(params[key]) > least
               and _segments(name, language, {**recipient_params, **params}) > limit):
            params[key] = _cut(params[key], max(least, len(params[key]) - 8))
    return params  # as short as it gets: sent over budget rather than not at all
