"""What every staff form shares: reading a posted form into a schema's input, turning a schema's
or a service's refusal into messages beside the fields, and the conflict of a concurrent edit.

The pattern (journey.accounts.pages is the first user; every domain's pages follow it):

    values = form_values(FIELDS)                       # what was typed, kept to show again
    try:
        data = SomeSchema().load(form_input(values, ints=("office_id",), nullable=("email",)))
        thing = services.do_it(db.session, g.user, data)
    except FORM_ERRORS as err:
        return render_template("x.html", v=values, errors=field_errors(err)), form_status(err)
    flash(_("Saved."))
    return redirect(url_for(...), 303)                 # POST-redirect-GET

The API and the page load the same schema and call the same service, so they refuse the same
input with the same (translated) messages. A stale `version` is a Conflict: `conflict_view`
shows what the other person saved beside what this one typed, and nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import request
from marshmallow import ValidationError

from journey.core.errors import Conflict, InvalidInput, ProblemError, flatten_messages

# What a form handler catches: the schema's refusal, a service's field errors, a conflict.
FORM_ERRORS = (ValidationError, InvalidInput, Conflict)

MAX_FIELD = 4000


def form_values(names: Iterable[str], *, multi: Iterable[str] = ()) -> dict[str, Any]:
    """The posted fields, stripped and bounded; `multi` fields (checkbox groups) as lists."""
    out: dict[str, Any] = {}
    multi = set(multi)
    for name in names:
        if name in multi:
            out[name] = [v.strip()[:200] for v in request.form.getlist(name) if v.strip()][:100]
        else:
            out[name] = request.form.get(name, "").strip()[:MAX_FIELD]
    return out


def _as_int(value: str) -> Any:
    # ASCII digits only ("٣".isdigit() is true); anything else goes to the schema to refuse.
    if value.isascii() and value.lstrip("-").isdigit() and len(value) < 11:
        return int(value)
    return value


def form_input(values: Mapping[str, Any], *, ints: Iterable[str] = (), nullable: Iterable[str] = (),
               booleans: Iterable[str] = ()) -> dict[str, Any]:
    """Form values as a schema's input. An empty field is no value (None when it is `nullable`,
    so an edit can clear it); `ints` are sent as numbers (as a JSON body would); `booleans` are
    checkboxes ("on"/"yes"/"true" ticked, absent unticked)."""
    ints, nullable, booleans = set(ints), set(nullable), set(booleans)
    raw: dict[str, Any] = {}
    for name, value in values.items():
        if name in booleans:
            raw[name] = str(value).lower() in ("on", "yes", "true", "1")
            continue
        if value == "" or value == []:
            if name in nullable:
                raw[name] = None
            continue
        raw[name] = _as_int(value) if name in ints and isinstance(value, str) else value
    return raw


def field_errors(err: Exception, *, conflict_fields: Mapping[str, str] | None = None
                 ) -> dict[str, str]:
    """{field: message} from a schema's ValidationError, a service's InvalidInput, or any other
    ProblemError (under "_form", or under the field `conflict_fields` names for its code).
    Nested fields ("items.0.name") are kept whole and also counted against their first part."""
    if isinstance(err, ValidationError):
        items = flatten_messages(err.messages)
    elif isinstance(err, InvalidInput):
        items = err.errors
    elif isinstance(err, ProblemError):
        field = (conflict_fields or {}).get(getattr(err, "code", "") or "", "_form")
        items = [{"field": field, "message": str(err.detail or err.title)}]
    else:
        raise TypeError(f"not a form error: {err!r}")
    errors: dict[str, str] = {}
    for item in items:
        for field in {item["field"], item["field"].split(".", 1)[0]}:
            message = str(item["message"])
            errors[field] = f"{errors[field]} {message}" if field in errors else message
    return errors


def form_status(err: Exception) -> int:
    """The status a page answers a refused form with: 409 for a conflict, else 422."""
    return 409 if isinstance(err, Conflict) else 422


def conflict_view(current: Mapping[str, Any], submitted: Mapping[str, Any],
                  fields: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a conflict table: for each (field, label), the saved value and the typed one,
    and whether they differ. The page shows both and asks which to keep; it never overwrites."""
    rows = []
    for name, label in fields:
        saved = current.get(name)
        typed = submitted.get(name)
        saved_s = "" if saved is None else str(saved)
        typed_s = "" if typed is None else str(typed)
        rows.append({"name": name, "label": label, "saved": saved_s, "typed": typed_s,
                     "differs": saved_s != typed_s})
    return rows
