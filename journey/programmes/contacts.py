"""The numbers a migrant is given: a programme's own, else its destination country's, else the
centre's (#13: one global Nepal helpline was cited to people in Portugal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Contacts:
    helpline: str  # for help with the programme, in the destination when it has one
    emergency: str  # police, ambulance, fire in the destination country
    embassy: str | None  # the origin country's embassy or consulate there, when known


def contacts_for(programme_contacts: Mapping[str, Any] | None, country: str | None,
                 config: Mapping[str, Any]) -> Contacts:
    """The numbers for a participant of a programme (its ``contacts``) going to ``country``.

    Each number falls back on its own: the programme's, then the country's in settings
    (HELPLINES, EMERGENCY_NUMBERS), then the global HELPLINE and EMERGENCY_NUMBER.
    """
    own = programme_contacts or {}
    country = (country or "").upper()
    return Contacts(
        helpline=own.get("helpline") or config["HELPLINES"].get(country) or config["HELPLINE"],
        emergency=(own.get("emergency") or config["EMERGENCY_NUMBERS"].get(country)
                   or config["EMERGENCY_NUMBER"]),
        embassy=own.get("embassy") or None,
    )
