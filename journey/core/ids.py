"""URL converter for database ids: anything but a plausible id is a 404 from routing itself."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class IdConverter(BaseConverter):
    # At most 18 digits fits a signed 64-bit integer on every backend, so a huge id cannot
    # overflow the driver and turn into a 500.
    regex = r"[1-9][0-9]{0,17}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
