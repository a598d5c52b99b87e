"""The people bench/registry.py registers and bulk-loads: names, stages, offices, full rows.

Split from bench/registry.py to keep it short; not a bench itself (the leading underscore keeps it
out of `make bench` and tests/test_bench.py).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from _common import Seed, stopwatch, table
from pydantic_core import PydanticUndefined

from journey.core import crypto

PER_PAGE = 50
DEFAULT_SORT = [("created_at", True)]  # ParticipantQuerySchema.DEFAULT_SORT = "-created_at"

GIVEN = [
    "Ram", "Sita", "Hari", "Gita", "Bishnu", "Kamala", "Sunita", "Rajesh", "Anita", "Prakash",
    "Maria", "Jose", "Juan", "Ana", "Mark", "Grace", "Joy", "Rowena", "Jerome", "Liza",
    "Abdul", "Fatema", "Rahim", "Nasrin", "Karim", "Shirin", "Mohammad", "Ayesha", "Rafiq", "Salma",
    "Abebe", "Tigist", "Dawit", "Meron", "Yonas", "Hana", "Bereket", "Selam", "Kebede", "Almaz",
    "Dong", "Lan", "Minh", "Thu", "Sokha", "Dara", "Bopha", "Nimal", "Chamari", "Zoë",
]
FAMILY = [
    "Thapa", "Gurung", "Shrestha", "Tamang", "Rai", "Magar", "Sharma", "Karki", "Adhikari", "Limbu",
    "Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Torres", "Flores", "Ramos", "Dela Cruz",
    "Hossain", "Rahman", "Islam", "Akter", "Begum", "Uddin", "Ahmed", "Khatun", "Alam", "Chowdhury",
    "Tesfaye", "Bekele", "Girma", "Haile", "Tadesse", "Alemu", "Mekonnen", "Wolde", "Assefa", "Kebede",
    "Nguyen", "Tran", "Le", "Pham", "Sok", "Chan", "Perera", "Fernando", "Silva", "Müller",
]
# Where people are in the continuum (values the participants CHECK constraint allows).
STAGE_WEIGHTS = {
    "intake": 25, "preselection": 15, "training": 15, "matched": 8, "pre_departure": 7,
    "arrival": 5, "stay": 10, "return": 3, "reintegration": 3, "closed": 5, "withdrawn": 4,
}
STAGE_FILTERS = [
    ["intake"], ["training"], ["preselection", "training"], ["matched", "pre_departure"],
    ["stay"], ["arrival", "stay"], ["closed", "withdrawn"], ["return", "reintegration"],
]
OFFICE_WEIGHTS = [40, 30, 20, 10]  # offices are not all the same size


@dataclass(frozen=True)
class Person:
    office_idx: int
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str


@functools.cache
def _name_key(given: str, family: str) -> str:
    from journey.participants.services import name_key

    return name_key(given, family)


def make_people(n: int, seed: int) -> list[Person]:
    """n people with distinct phones and distinct (names, date of birth): no duplicates refused."""
    rng = random.Random(seed)
    seen: set[tuple[str, date]] = set()
    people = []
    while len(people) < n:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        dob = date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 36))
        if (_name_key(given, family), dob) in seen:
            continue
        seen.add((_name_key(given, family), dob))
        people.append(Person(
            office_idx=rng.choices(range(len(OFFICE_WEIGHTS)), OFFICE_WEIGHTS)[0],
            given_name=given, family_name=family, date_of_birth=dob,
            sex=rng.choice(("female", "male")), phone=f"+977984{len(people):07d}",
        ))
    return people


def payload(person: Person, programme_id: int) -> dict[str, Any]:
    """What ParticipantCreateSchema().load() hands the service for a typical registration."""
    return {
        "given_name": person.given_name, "family_name": person.family_name,
        "date_of_birth": person.date_of_birth, "sex": person.sex, "nationality": "NP",
        "origin_country": "NP", "destination_country": "PT", "phone": person.phone,
        "language": "ne", "timezone": "Asia/Kathmandu", "channels": ["sms"],
        "programme_id": programme_id, "confirm_not_duplicate": False, "consents": [],
    }


_STAGE_BY_PERCENT = [s for s, w in STAGE_WEIGHTS.items() for _ in range(w)]
assert len(_STAGE_BY_PERCENT) == 100


def stage_for(participant_id: int) -> str:
    """A stage, spread by STAGE_WEIGHTS, the same for a given id in every database."""
    return _STAGE_BY_PERCENT[(participant_id * 2654435761 >> 7) % 100]


@functools.cache
def _row_template() -> tuple[dict[str, Any], tuple[str, ...]]:
    from journey.core.db import UTCDateTime
    from journey.participants.models import Participant

    defaults: dict[str, Any] = {}
    timestamps = []
    for col in table("participants").columns:
        if col.primary_key:
            continue
        info = Participant.model_fields.get(col.name)
        if info is not None and (info.default is not PydanticUndefined or info.default_factory):
            defaults[col.name] = info.get_default(call_default_factory=True)
        elif col.nullable:
            defaults[col.name] = None
        elif isinstance(col.type, UTCDateTime):
            timestamps.append(col.name)
        else:
            defaults[col.name] = PydanticUndefined  # must be given
    return defaults, tuple(timestamps)


def complete_row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Every other participants column, as the ORM writes it for a new Participant.

    The ORM INSERT lists every column; so does this: the model's default where it has one, NULL
    where the column allows it, and `now` for a required timestamp (stage_entered_at). A required
    column it cannot fill is an error, so the baseline never silently drifts from the model.
    """
    defaults, timestamps = _row_template()
    out = {**defaults, **row}
    for name in timestamps:
        out.setdefault(name, now)
    missing = [k for k, v in out.items() if v is PydanticUndefined]
    if missing:
        raise RuntimeError(f"bench/registry.py does not fill participants columns {missing}; update it")
    return out


def search_text(given: str, family: str, reference: str, phone: str | None) -> str:
    """Same text as journey.participants.services._search_text, from plain values (no phone: it
    is encrypted and searched through phone_index)."""
    parts = [given, family, reference]
    return " ".join(x.casefold() for x in parts if x)[:500]


# --- the 100k read target ------------------------------------------------------------------------

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(i: int) -> str:
    """A distinct, well-formed reference per index (odd multiplier: a bijection mod 32**7)."""
    n = (i * 2654435761) % 32**7
    body = "".join(_ALPHABET[(n >> (5 * k)) & 31] for k in range(7))
    check = _ALPHABET[sum((j + 1) * _ALPHABET.index(c) for j, c in enumerate(body)) % 32]
    code = body + check
    return f"{code[:4]}-{code[4:]}"


def bulk_load(engine: sa.Engine, seed: Seed, total: int, rng_seed: int, chunk: int = 5000) -> float:
    """total participants with Core executemany, registered over the last three years; seconds."""
    t = table("participants")
    rng = random.Random(rng_seed)
    start_at = datetime.now(UTC) - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / total
    with stopwatch() as elapsed, engine.begin() as conn:
        for base in range(0, total, chunk):
            rows = []
            for i in range(base, min(total, base + chunk)):
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                office_id = seed.office_ids[rng.choices(range(len(OFFICE_WEIGHTS)), OFFICE_WEIGHTS)[0]]
                phone = f"+977985{i:07d}"
                reference = _reference(i)
                created = start_at + step * i
                rows.append(complete_row({
                    "reference": reference, "office_id": office_id, "programme_id": seed.programme_id,
                    "stage": stage_for(i + 1), "given_name": given, "family_name": family,
                    "name_key": _name_key(given, family),
                    "search_text": search_text(given, family, reference, phone),
                    "date_of_birth": date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 36)),
                    "sex": rng.choice(("female", "male")), "sex_self_described": None,
                    "gender_identity": None, "nationality": "NP", "origin_country": "NP",
                    "destination_country": "PT", "phone": phone, "email": None, "language": "ne",
                    "phone_index": crypto.keyring().blind_index(phone),
                    "timezone": "Asia/Kathmandu", "channels": ["sms"], "disability": "unknown",
                    "disability_details": None, "notes": None,
                    "created_by": seed.caseworker_ids[office_id], "created_at": created,
                    "updated_at": created, "version": 1,
                }, created))
            conn.execute(t.insert(), rows)
        return elapsed()
