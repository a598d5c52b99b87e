"""What a domain declares, in one record, and how an app takes those declarations in.

Each domain package has a ``domain.py`` exposing ``DOMAIN = Domain(...)``; ``journey/domains.py``
lists the packages in order, and ``create_app`` walks that list (journey/__init__.py). Nothing a
domain adds lives in a module-level list: every registry sits on the app (``app.extensions``),
so two apps in one process never share handlers, permissions, kinds or keywords.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from journey.core.policy import Role


class Category(enum.StrEnum):
    """What kind of personal data a table holds (export, erasure and retention build on it)."""

    IDENTITY = "identity"  # who someone is: names, date of birth, nationality, usernames
    CONTACT = "contact"  # how to reach them: phone, email, addresses
    SENSITIVE = "sensitive"  # special categories and immigration documents: gender, disability, permits
    CASE = "case"  # what happened in their case: stages, consent, checklists, passports, cards
    MESSAGE = "message"  # what was said to or by them: SMS and email texts


@dataclass(frozen=True)
class PersonalData:
    """A table holding personal data: its categories and how a row leads to its person.

    ``link`` is the path from a row to the person's id, hop by hop: ``("participant_id",)`` when
    the table has the column, ``("entry_id", "passport_entries.participant_id")`` through a join,
    ``("id",)`` for the participants table itself. ``subject`` says whose data it is:
    ``participant`` (the people the centre serves) or ``staff`` (user accounts).

    The rest is optional. ``where(participant)`` returns the SQL condition selecting the person's
    rows when the link cannot be followed generically (a JSON detail, a phone number);
    journey.privacy.subjects walks the link otherwise. ``purpose`` (``_l``) and ``legal_basis``
    add to the register of processing what the category says already; ``read`` names the
    permissions that read the table (default: the declaring domain's ``*:read*`` rows);
    ``recipients`` names outside recipients and processors (``sms_provider``, ``employer``...).
    """

    table: str
    categories: tuple[Category, ...]
    link: tuple[str, ...]
    subject: str = "participant"
    note: str = ""
    where: Callable[[Any], Any] | None = None
    purpose: Any = None
    legal_basis: str | None = None
    read: tuple[str, ...] | None = None
    recipients: tuple[str, ...] = ()
    # Erasure (journey.privacy.erasure) empties these columns on every row of the person: NULL,
    # or '' (text) and {} (JSON) where the column is NOT NULL. Rows stay, so counts stay.
    erase_columns: tuple[str, ...] = ()
    # erase(sess, participant, actor_id) -> rows changed: what emptying columns cannot do
    # (revoking a credential, replacing identifiers, deleting a copy held elsewhere).
    erase: Callable[..., int] | None = None
    # Retention (journey.privacy.retention) empties erase_columns on rows whose ``retain_from``
    # column is older than the retention of the table's first category (a NULL never ages).
    retain_from: str = ""


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``func(app)`` runs every ``seconds`` on the leading scheduler."""

    name: str
    func: Callable[[Flask], Any]
    seconds: int


@dataclass(frozen=True)
class Keyword:
    """Inbound SMS words (per language) routed to ``handler(sess, inbound, recipient, language)``,
    which returns the reply text or None. A word is the whole message, unless ``takes_text``:
    then it may start one, and the handler gets the rest as ``text=`` (notifications.keywords)."""

    action: str
    words: Mapping[str, Sequence[str]]
    handler: Callable[..., str | None]
    takes_text: bool = False


@dataclass(frozen=True)
class TimelineKind:
    """A kind of timeline entry a domain records, with a translatable title (``_l``)."""

    name: str
    title: Any


@dataclass(frozen=True)
class NavLink:
    """A link in the staff pages' header: to ``endpoint`` (a Flask endpoint), titled ``title``
    (``_l``), shown to users holding ``permission`` (None: every logged-in user), by ``order``."""

    endpoint: str
    title: Any
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class Section:
    """One section of a participant's record page, given by a domain's ``record_sections``
    provider ``provider(sess, user, participant) -> Section | None`` (None: nothing to show this
    user, e.g. their role may not read it). The page renders ``template`` with ``context`` (plus
    ``p``, the participant) in ``order`` (lower first); ``key`` is the section's anchor id."""

    key: str
    title: Any
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class Domain:
    """Everything one domain adds to the app. Only ``name`` is required."""

    name: str
    # flask-smorest Blueprints, registered on the Api under /api/v1 (their own prefix appended).
    api_blueprints: tuple[Any, ...] = ()
    # Plain Flask blueprints: staff pages, public pages, webhooks.
    page_blueprints: tuple[Any, ...] = ()
    # SQLModel table classes; journey/models.py (and so Alembic) collects them from here.
    models: tuple[type, ...] = ()
    # click commands or groups, added to the `journey` command.
    commands: tuple[Any, ...] = ()
    # Rows of the policy table: permission -> roles that hold it.
    permissions: Mapping[str, frozenset[Role]] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    timeline_kinds: tuple[TimelineKind, ...] = ()
    # provider(sess, participant) -> list of timeline entries read from the domain's own tables.
    timeline_providers: tuple[Callable[..., list[dict[str, Any]]], ...] = ()
    # handler(sess, participant, entry), called for every entry recorded, in its transaction.
    timeline_handlers: tuple[Callable[..., None], ...] = ()
    # notifications.templates.Template objects this domain sends, beyond the shipped catalog.
    templates: tuple[Any, ...] = ()
    personal_data: tuple[PersonalData, ...] = ()
    # provider(sess, user, participant) -> Section | None: the domain's part of the staff page of
    # a participant's record (checklist, permits, timeline, passport...), in the domain's files.
    record_sections: tuple[Callable[..., Section | None], ...] = ()
    # Links in the staff header (Participants, My work, Users...).
    nav_links: tuple[NavLink, ...] = ()
    # veto(sess, participant) -> a reason code while the person's data must not be erased (a
    # legal hold, an open grievance), or None.
    erasure_vetoes: tuple[Callable[..., str | None], ...] = ()
    # Anything else, called last with the app (e.g. the hooks notifications calls back).
    init_app: Callable[[Flask], None] | None = None


def load(names: Iterable[str | Domain]) -> list[Domain]:
    """The Domain records of these packages (``<package>.domain.DOMAIN``), in order."""
    domains = []
    for name in names:
        if isinstance(name, Domain):
            domains.append(name)
            continue
        domain = importlib.import_module(f"{name}.domain").DOMAIN
        if not isinstance(domain, Domain):
            raise TypeError(f"{name}.domain.DOMAIN is not a Domain")
        domains.append(domain)
    seen: set[str] = set()
    for d in domains:
        if d.name in seen:
            raise ValueError(f"domain {d.name!r} is listed twice")
        seen.add(d.name)
    return domains


def permission_table(domains: Iterable[Domain]) -> dict[str, frozenset[Role]]:
    """The policy table assembled from every domain's rows; a permission is declared once."""
    table: dict[str, frozenset[Role]] = {}
    for d in domains:
        for permission, roles in d.permissions.items():
            if permission in table:
                raise ValueError(f"permission {permission!r} declared twice (again by {d.name})")
            table[permission] = frozenset(roles)
    return table


def personal_data(domains: Iterable[Domain]) -> dict[str, PersonalData]:
    """Every declared personal-data table, by table name."""
    out: dict[str, PersonalData] = {}
    for d in domains:
        for entry in d.personal_data:
            if entry.table in out:
                raise ValueError(f"table {entry.table!r} declared twice (again by {d.name})")
            out[entry.table] = entry
    return out
