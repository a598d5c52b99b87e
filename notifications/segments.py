"""SMS encoding, segment counting and cost estimates, so a template's price is known before it is sent.

Most recipients read on basic phones over GSM, where one stray curly quote turns a 160-character
message into a 70-character one and can double or triple what it costs.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Literal, NamedTuple

import phonenumbers

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, in table order (0x00-0x7F) minus 0x1B, which is the escape to the
# extension table and not a character. 0x09 is capital Ç, as in the Unicode mapping GSM0338.TXT:
# lower-case ç is not in the alphabet and forces UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"  # the escape sits between Ξ and Æ
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Reached through the escape, so each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

GSM7_SINGLE, GSM7_PART = 160, 153  # a split message loses 7 septets per part to the concatenation header
UCS2_SINGLE, UCS2_PART = 70, 67

_DOUBLE_QUOTES = "\u00ab\u00bb\u201c\u201d\u201e\u201f\u2033\u02ba\u02ee\u275d\u275e\u301d\u301e\uff02"
_SINGLE_QUOTES = (
    "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u00b4`\uff07"
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_BULLETS = "\u2022\u2023\u2219\u25e6"
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_LINE_BREAKS = "\u2028\u2029"
# Invisible, so dropping them changes nothing a reader sees (soft hyphen, zero-width space/joiners,
# word joiner, byte-order mark).
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

_REPLACEMENTS: dict[int, str] = {
    **dict.fromkeys(map(ord, _DOUBLE_QUOTES), '"'),
    **dict.fromkeys(map(ord, _SINGLE_QUOTES), "'"),
    **dict.fromkeys(map(ord, _DASHES), "-"),
    **dict.fromkeys(map(ord, _BULLETS), "-"),
    **dict.fromkeys(map(ord, _SPACES), " "),
    **dict.fromkeys(map(ord, _LINE_BREAKS), "\n"),
    **dict.fromkeys(map(ord, _INVISIBLE), ""),
    ord("\u2026"): "...",
}


class SegmentInfo(NamedTuple):
    """How a body will be sent: its encoding, size in septets or UTF-16 units, and billable parts."""

    encoding: Encoding
    units: int
    segments: int
    per_segment: int


def _is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def normalise(text: str) -> str:
    """Swap typographic punctuation and spaces for GSM-7 ones, but only when that makes the whole text GSM-7.

    Text that stays UCS-2 anyway (Nepali, Arabic, an emoji) is returned untouched: there the swap saves
    nothing, and "…" → "..." would cost two more units. NFC first, so a decomposed "é" becomes GSM-7's é.
    """
    candidate = unicodedata.normalize("NFC", text).translate(_REPLACEMENTS)
    return candidate if _is_gsm7(candidate) else text


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM 03.38 alphabet or its extension table, else UCS-2."""
    return "GSM-7" if _is_gsm7(text) else "UCS-2"


def _parts(units: list[int], single: int, per_part: int) -> int:
    """Parts needed when a character (escape pair, surrogate pair) may not straddle two parts."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def count(text: str) -> SegmentInfo:
    """Encoding, units and segments for a body exactly as given (call normalise first); "" is 0 segments."""
    if _is_gsm7(text):
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, per_part, enc = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, per_part, enc = UCS2_SINGLE, UCS2_PART, "UCS-2"
    total = sum(units)
    return SegmentInfo(
        encoding=enc,
        units=total,
        segments=_parts(units, single, per_part),
        per_segment=single if total <= single else per_part,
    )


def estimate_cost(
    segments: int, country: str | None, prices: dict[str, Decimal], default: Decimal
) -> Decimal:
    """Price of sending ``segments`` parts to ``country`` (ISO 3166 alpha-2), ``default`` when unpriced."""
    if segments < 0:
        raise ValueError("segments must not be negative")
    price = prices.get(country.upper(), default) if country else default
    return price * segments


def country_of(e164: str) -> str | None:
    """ISO 3166 alpha-2 region of an E.164 number, or None when unparseable or not geographic."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    # Non-geographic numbers (+800, +882 satellite, ...) come back as "001", which is no country.
    if not region or region == phonenumbers.UNKNOWN_REGION or region == "001":
        return None
    return region
