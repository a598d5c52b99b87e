"""Demo passports for the Nepal → Portugal hospitality programme: occupations, experience at home
and in the Gulf, a qualification, recognised prior learning, languages, the programme's training,
each verified as far as a real caseworker would have got."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.services import has_consent
from journey.core.auth import User
from journey.participants.models import Participant
from journey.passports import services
from journey.passports.models import PassportEntry
from journey.taxonomy.models import EscoOccupation, IscoGroup

_ESCO = "http://data.europa.eu/esco/occupation/"
# (ISCO unit group, an ESCO occupation in it, title, home employer, Gulf employer, country)
_TRADES = [
    ("5120", _ESCO + "90f75f67-495d-49fa-ab57-2f320e251d7e", "Cook", "Hotel Yak & Yeti, Kathmandu",
     "Sheraton Grand Doha", "QA"),
    ("5131", None, "Waiter", "Dwarika's Hotel, Kathmandu", "Jumeirah Beach Hotel, Dubai", "AE"),
    ("5132", None, "Bartender", "Temple Tree Resort, Pokhara", "Hilton Kuala Lumpur", "MY"),
    ("9112", None, "Room attendant", "Hotel Shanker, Kathmandu", "Marriott Marquis, Doha", "QA"),
    ("9412", None, "Kitchen helper", "Fulbari Resort, Pokhara", "Atlantis The Palm, Dubai", "AE"),
    ("5151", None, "Housekeeping supervisor", "Hyatt Regency, Kathmandu", "Four Seasons, Riyadh",
     "SA"),
]
_CEFR = ["A2", "B1", "B1", "B2"]


def _occupation(sess: Session, isco: str, uri: str | None) -> dict[str, str]:
    """The most precise code the loaded taxonomy has; none if it has neither."""
    if uri and sess.scalar(select(EscoOccupation.id).where(EscoOccupation.uri == uri)):
        return {"esco_uri": uri}
    return {"isco_code": isco} if sess.get(IscoGroup, isco) else {}


def _entries(sess: Session, i: int, today: date) -> list[tuple[dict[str, Any], str, str | None]]:
    """(entry, verification level, evidence) for the i-th demo participant."""
    isco, uri, title, home, gulf, gulf_country = _TRADES[i % len(_TRADES)]
    code = _occupation(sess, isco, uri)
    years_ago = 2 + i % 4
    abroad_start = today - timedelta(days=365 * years_ago + 30 * (i % 7))
    abroad_end = today - timedelta(days=200 + 15 * (i % 5))
    home_start = abroad_start - timedelta(days=365 * (2 + i % 3))
    english = _CEFR[i % len(_CEFR)]
    return [
        ({"kind": "occupation", "title": title, **code, "years": float(years_ago + 2 + i % 3)},
         "self_declared", None),
        ({"kind": "experience", "title": title, "employer": home, "country": "NP",
          "start_date": home_start.isoformat(),
          "end_date": (abroad_start - timedelta(days=60)).isoformat(),
          **({"occupation": code} if code else {})},
         "documents_seen", "Reference letter from the employer, with dates, seen and copied."),
        ({"kind": "experience", "title": title, "employer": gulf, "country": gulf_country,
          "start_date": abroad_start.isoformat(), "end_date": abroad_end.isoformat(),
          **({"occupation": code} if code else {})},
         "assessed", "Practical skills test at the resource centre's training kitchen."),
        ({"kind": "qualification", "title": f"{title} (NVQF level 2)",
          "awarding_body": "National Skill Testing Board (NSTB)", "country": "NP",
          "level": {"framework": "national", "name": "NVQF (Nepal)", "level": "Level 2"},
          "awarded_on": (home_start - timedelta(days=90)).isoformat(), "formality": "formal"},
         "recognised" if i % 3 == 0 else "certified",
         "ANQEP recognition statement for Portugal." if i % 3 == 0
         else "Certificate verified with NSTB's online register."),
        ({"kind": "prior_learning", "title": "Food hygiene and kitchen safety",
          "assessed_by": "Nepal Academy of Tourism and Hotel Management",
          "method": "Observation and oral questions", "outcome": "Competent",
          "date": (today - timedelta(days=150)).isoformat()},
         "assessed", "RPL assessment report on file."),
        ({"kind": "language", "language": "ne", "mother_tongue": True}, "self_declared", None),
        ({"kind": "language", "language": "en", "listening": english, "reading": english,
          "speaking": english, "writing": "A2"},
         "assessed", "Placement test at intake."),
        ({"kind": "language", "language": "pt", "listening": "A2", "reading": "A2",
          "speaking": "A1", "writing": "A1"}, "self_declared", None),
        ({"kind": "training", "title": "Portuguese for hospitality workers",
          "provider": "Nepal Academy of Tourism and Hotel Management", "hours": 120.0,
          "completed_on": (today - timedelta(days=60)).isoformat()},
         "certified", "Course certificate issued by the provider."),
        ({"kind": "skill", "title": "Banquet and buffet service", "acquired_abroad": True},
         "documents_seen", "Training record from the Gulf employer."),
        ({"kind": "soft_skill", "title": "Teamwork in busy service"}, "self_declared", None),
    ]


def load_demo_passports(sess: Session, actor: User, participants: list[Participant]) -> int:
    """Give each demo participant a verified passport; skips anyone who already has entries.

    Returns how many participants were given a passport. `actor` needs passports:write and
    passports:verify (a caseworker, supervisor or admin).
    """
    ids = [p.id for p in participants]
    started = set(sess.scalars(select(PassportEntry.participant_id)
                               .where(PassportEntry.participant_id.in_(ids)).distinct())) if ids else set()
    today = date.today()
    given = 0
    for i, p in enumerate(participants):
        if p.id in started:
            continue
        for data, level, evidence in _entries(sess, i, today):
            raw = dict(data)
            entry = services.add_entry(sess, actor, p, raw.pop("kind"), raw)
            if level != "self_declared":
                services.verify_entry(sess, actor, p, entry, level=level, evidence=evidence)
        if has_consent(sess, p.id, "share_employers"):
            services.update_disclosure(sess, actor, p, ["name", "occupation", "qualification",
                                                        "language", "training"], None)
        given += 1
    return given
