"""Quiet hours: no non-urgent SMS during the recipient's local night."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_window(spec: str) -> tuple[time, time]:
    """"21:00-08:00" → (21:00, 08:00)."""
    start, end = (time.fromisoformat(part.strip()) for part in spec.split("-"))
    return start, end


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def next_send_time(now: datetime, timezone: str, window: tuple[time, time]) -> datetime | None:
    """None when a message may go now; otherwise when the quiet hours end, in UTC."""
    start, end = window
    local = now.astimezone(ZoneInfo(timezone))
    if not in_quiet_hours(local.time(), start, end):
        return None
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    # Rebuild in the zone, so a DST change overnight lands on the real local morning.
    morning = datetime.combine(morning.date(), end, tzinfo=ZoneInfo(timezone))
    return morning.astimezone(UTC)
