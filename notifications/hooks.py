"""What notifications needs to know from the domains, handed in at start-up, per app.

``notifications`` never imports a domain package; each app holds one ``Hooks`` (in
``app.extensions["notifications"]``) and its domains fill it in (see ``journey.messaging``), so
two apps in one process never share handlers. The defaults refuse: without a consent checker
nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from journey.core.per_app import PerApp
from notifications.keywords import Keywords


@dataclass(frozen=True)
class Recipient:
    """A participant as notifications sees them: ids, addresses, language and time zone."""

    participant_id: int | None
    phone: str | None
    email: str | None
    language: str
    fallback_language: str | None
    timezone: str
    channels: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)  # name, centre, reference, …


@dataclass
class Hooks:
    # Whether the participant's consent to SMS/email updates stands right now.
    consent: Callable[[Session, int], bool] = lambda _s, _pid: False
    # The same for many participants at once: those whose consent stands (one query). When a
    # domain leaves it unset, the dispatcher asks `consent` for each.
    consented: Callable[[Session, list[int]], set[int]] | None = None
    # Who owns a phone number (for inbound SMS), or None.
    resolve_phone: Callable[[Session, str], Recipient | None] = lambda _s, _phone: None
    # An inbound text that is not a keyword: put it on the timeline, flag the caseworker.
    on_inbound: Callable[[Session, int, int], None] = lambda _s, _pid, _inbound_id: None
    # A number opted out (STOP or provider error 21610) or back in (START).
    on_opt_change: Callable[[Session, int | None, bool], None] = lambda _s, _pid, _out: None
    # Scheduler jobs the domains add: (name, function(app), interval seconds).
    jobs: list[tuple[str, Callable[[Any], Any], int]] = field(default_factory=list)
    # Inbound SMS keywords: STOP, START and HELP built in, the domains' own added.
    keywords: Keywords = field(default_factory=Keywords)

    def add_job(self, name: str, func: Callable[[Any], Any], seconds: int) -> None:
        if any(existing == name for existing, _f, _s in self.jobs):
            raise ValueError(f"scheduler job {name!r} is registered twice")
        self.jobs.append((name, func, seconds))


# hooks_for() is the (current) app's Hooks, which the domains fill in; init_app(app) gives an
# app its own.
hooks_for = PerApp("notifications", Hooks)
init_app = hooks_for.init_app
