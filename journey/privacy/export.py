"""Access and portability: one ZIP archive with everything a participant's record holds.

``data.json`` lists every declared participant table (journey.privacy.subjects walks the
declarations), each with its categories and the person's rows; ``summary.html`` says the same in
the participant's own language, with their consents and who opened or changed their record (the
audit trail). The archive is written batch by batch into a file object, so memory stays bounded
whatever the size of the record; the routes hand it a spooled temporary file.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from flask import Response, current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from journey.config import RTL_LANGUAGES
from journey.consent.services import history as consent_history
from journey.core import audit
from journey.core.audit import AuditEvent
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.i18n import _l
from journey.participants.models import Participant
from journey.privacy import subjects
from journey.privacy.register import category_title

logger = logging.getLogger(__name__)

FORMAT = "journey-privacy-export/1"
# Archives up to this size stay in memory; larger ones spill to an unlinked temporary file.
SPOOL_BYTES = 8 * 1024 * 1024

# How an audited action reads in the summary: its verb (the last part of domain:subject:action).
ACTION_TITLES = {
    "read": _l("Read"),
    "list": _l("Listed"),
    "view": _l("Viewed"),
    "create": _l("Created"),
    "update": _l("Changed"),
    "transition": _l("Moved to another stage"),
    "grant": _l("Consent recorded"),
    "withdraw": _l("Consent withdrawn"),
    "export": _l("Exported"),
    "issue": _l("Issued"),
    "revoke": _l("Revoked"),
    "verify": _l("Verified"),
    "retire": _l("Retired"),
    "open": _l("Opened"),
    "complete": _l("Completed"),
    "link": _l("Link sent"),
}


@dataclass
class ExportResult:
    """What the archive holds: rows per table, in the order written."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _write_data(zf: zipfile.ZipFile, sess: Session, participant: Participant,
                generated_at: datetime, batch: int) -> ExportResult:
    result = ExportResult()
    head = {"format": FORMAT, "generated_at": generated_at,
            "participant": {"id": participant.id, "reference": participant.reference}}
    with zf.open("data.json", "w", force_zip64=True) as out:
        out.write(_dumps(head)[:-1] + b',"tables":[')
        for n, (item, batches) in enumerate(subjects.walk(sess, participant, batch)):
            meta = {"table": item.name, "domain": item.domain,
                    "categories": [str(c) for c in item.entry.categories],
                    "note": item.entry.note}
            out.write((b"," if n else b"") + _dumps(meta)[:-1] + b',"rows":[')
            count = 0
            for rows in batches:
                for row in rows:
                    out.write((b"," if count else b"") + _dumps(row))
                    count += 1
            out.write(b"]}")
            result.rows[item.name] = count
        out.write(b"]}")
    return result


def _audit_item() -> subjects.Declared | None:
    for item in subjects.declared():
        if item.table is AuditEvent.__table__:
            return item
    return None


def _accesses(sess: Session, participant: Participant, when, batch: int,
              ) -> Iterator[dict[str, Any]]:
    """The audit trail about the person, oldest first: when, who (role, username), what."""
    item = _audit_item()
    if item is None:
        return
    users: dict[int, tuple[str, str]] = {}
    for rows in subjects.batches(sess, item, participant, batch):
        wanted = {r["actor_id"] for r in rows if r["actor_id"] is not None} - users.keys()
        if wanted:
            for uid, role, username in sess.execute(
                    sa.select(User.id, User.role, User.username).where(User.id.in_(wanted))):
                users[uid] = (role, username)
        for r in rows:
            verb = r["action"].rsplit(":", 1)[-1]
            role, username = users.get(r["actor_id"], (None, None))
            yield {"when": when(r["occurred_at"]), "role": role, "username": username,
                   "action": str(ACTION_TITLES.get(verb, verb)), "code": r["action"],
                   "object_type": r["object_type"]}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or current_app.config["DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _write_summary(zf: zipfile.ZipFile, sess: Session, participant: Participant,
                   result: ExportResult, generated_at: datetime, batch: int) -> None:
    lang = participant.language or current_app.config["DEFAULT_LANGUAGE"]
    zone = _zone(participant.timezone)

    def when(value: datetime | None) -> str:
        return format_datetime(value, "medium", tzinfo=zone, locale=lang) if value else ""

    tables = [{"name": item.name, "domain": item.domain, "rows": result.rows.get(item.name, 0),
               "categories": item.entry.categories} for item in subjects.declared()]
    template = current_app.jinja_env.get_template("privacy/export_summary.html")
    with force_locale(lang):
        context = {
            "p": participant, "lang": lang.replace("_", "-"),
            "lang_dir": "rtl" if lang.split("_")[0] in RTL_LANGUAGES else "ltr",
            "tables": tables, "category_title": category_title, "when": when,
            "born": format_date(participant.date_of_birth, "long", locale=lang)
            if participant.date_of_birth else "",
            "generated": when(generated_at), "consents": consent_history(sess, participant.id),
            "accesses": _accesses(sess, participant, when, batch),
            "centre": current_app.config["CENTRE_NAME"], "helpline": current_app.config["HELPLINE"],
        }
        with zf.open("summary.html", "w", force_zip64=True) as out:
            for chunk in template.generate(context):
                out.write(chunk.encode("utf-8"))


def write_archive(sess: Session, participant: Participant, out: IO[bytes], *,
                  actor_id: int | None, via: str, batch: int = subjects.BATCH) -> ExportResult:
    """Write the participant's archive into ``out`` and audit the export (ids and counts only)."""
    generated_at = utcnow()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        result = _write_data(zf, sess, participant, generated_at, batch)
        _write_summary(zf, sess, participant, result, generated_at, batch)
    audit.record(sess, "privacy:export:create", actor_id=actor_id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, via=via,
                 tables=len(result.rows), rows=result.total)
    logger.info("privacy export participant=%s tables=%s rows=%s", participant.id,
                len(result.rows), result.total)
    return result


def filename(participant: Participant) -> str:
    """The archive's file name: the reference only, never the person's name."""
    return f"journey-export-{participant.reference}.zip"


def _chunks(out: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := out.read(64 * 1024):
            yield chunk
    finally:
        out.close()


def archive_response(sess: Session, participant: Participant, *, actor_id: int | None,
                     via: str) -> Response:
    """The archive as a download: built in a spooled temporary file (memory stays bounded),
    inside the request's transaction, so the export's audit event commits with the request."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by _chunks)
    try:
        write_archive(sess, participant, out, actor_id=actor_id, via=via)
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    return Response(_chunks(out), mimetype="application/zip", direct_passthrough=True, headers={
        "Content-Disposition": f'attachment; filename="{filename(participant)}"',
        "Content-Length": str(size),
        # The whole record of a person: never kept by a browser or a proxy.
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })
