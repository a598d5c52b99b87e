"""Database ids: the URL converter and the validation range, both within the id columns' range.

Id columns are 32-bit INTEGER on PostgreSQL; anything outside 1..MAX_ID cannot exist, so it is
a 404 in a path and a field error in a body or query, never an overflow (a 500).
"""

from __future__ import annotations

from marshmallow import validate
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1
ID_RANGE = validate.Range(min=1, max=MAX_ID)


def _at_most(limit: str) -> str:
    """A regex for the decimal numbers of len(limit) digits that are at most `limit`."""
    if len(limit) == 1:
        return f"[0-{limit}]"
    head, rest = limit[0], limit[1:]
    below = f"[0-{int(head) - 1}][0-9]{{{len(rest)}}}|" if head != "0" else ""
    return f"(?:{below}{head}(?:{_at_most(rest)}))"


class IdConverter(BaseConverter):
    # 1..MAX_ID in the regex itself: werkzeug checks a rule's methods before its converter, so
    # refusing a too-large id in to_python turned PATCH /participants/2147483648 into a 405
    # (GET matched the path) where it is a 404 like any other id that cannot exist.
    regex = (rf"(?:[1-9][0-9]{{0,{len(str(MAX_ID)) - 2}}}"
             rf"|(?=[1-9])(?:{_at_most(str(MAX_ID))}))")
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()  # the route does not match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
