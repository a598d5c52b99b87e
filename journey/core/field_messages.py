"""marshmallow's own validation messages, translated where they reach people: in 422 bodies and
beside fields in pages. marshmallow and its validators build these messages in English (from
templates such as "Must be one of: {choices}."); `translate` recognises a message by its template,
translates the template and fills in the same values. The error code is worked out from the
English text, so it is the same in every language."""

from __future__ import annotations

import functools
import re
import string
from typing import Any

from flask_babel import LazyString

from journey.core.i18n import _l

# The messages of the marshmallow fields and validators journey uses, as marshmallow words them
# (marshmallow 4; Range's comparison words already filled in). {name} marks a value.
BUILTIN = [
    # fields
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Invalid value."),
    _l("Invalid type."),
    _l("Not a valid list."),
    _l("Not a valid string."),
    _l("Not a valid utf-8 string."),
    _l("Not a valid URL."),
    _l("Not a valid email address."),
    _l("Not a valid UUID."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Not a valid integer."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid time."),
    _l("Not a valid aware datetime."),
    _l("Not a valid naive datetime."),
    _l("Not a valid mapping type."),
    _l("Must be one of: {choices}."),
    # schemas
    _l("Invalid input type."),
    _l("Unknown field."),
    # validators
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Length must be between {min} and {max}."),
    _l("Length must be {equal}."),
    _l("Must be greater than or equal to {min}."),
    _l("Must be greater than {min}."),
    _l("Must be less than or equal to {max}."),
    _l("Must be less than {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Must be greater than or equal to {min} and less than {max}."),
    _l("Must be greater than {min} and less than or equal to {max}."),
    _l("Must be greater than {min} and less than {max}."),
    _l("Invalid input."),
    _l("String does not match expected pattern."),
    _l("Must be equal to {other}."),
    _l("One or more of the choices you made was not in: {choices}."),
]


def source(message: LazyString) -> str:
    """The English text of a lazily translated message."""
    text = message._args[0]
    return text % message._kwargs if message._kwargs else text


def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<{name}>.*?)")
    return re.compile("".join(parts), re.DOTALL)


@functools.cache
def _templates() -> tuple[tuple[re.Pattern[str], LazyString], ...]:
    # The most specific first: "Must be greater than {min}." also matches the text of
    # "Must be greater than {min} and less than {max}.", with "1 and less than 5" as {min}.
    by_length = sorted(BUILTIN, key=lambda m: -len(re.sub(r"\{\w+\}", "", source(m))))
    return tuple((_pattern(source(m)), m) for m in by_length)


def translate(message: Any) -> tuple[str, str]:
    """(English, translated) for a validation message: a lazy string, one of marshmallow's own
    messages, or a message translated when it was raised (returned as it is)."""
    if isinstance(message, LazyString):
        return source(message), str(message)
    english = str(message)
    for pattern, lazy in _templates():
        match = pattern.fullmatch(english)
        if match:
            try:
                return english, str(lazy).format(**match.groupdict())
            except (KeyError, IndexError, ValueError):  # a translation with broken {names}
                return english, english
    return english, english
