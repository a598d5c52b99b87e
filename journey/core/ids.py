"""Database ids: the URL converter and the validation range, both within the id columns' range.

Id columns are 32-bit INTEGER on PostgreSQL; anything outside 1..MAX_ID cannot exist, so it is
a 404 in a path and a field error in a body or query, never an overflow (a 500).
"""

from __future__ import annotations

from marshmallow import validate
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1
ID_RANGE = validate.Range(min=1, max=MAX_ID)


class IdConverter(BaseConverter):
    regex = r"[1-9][0-9]{0,9}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()  # the route does not match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
