"""The flask-smorest Api (OpenAPI generated from schemas) and its problem+json error schema."""

from __future__ import annotations

import re
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from flask import send_from_directory
from flask_smorest import Api as _Api
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser, abort

from journey.core.auth import requires


class ProblemFieldSchema(ma.Schema):
    field = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with field-by-field errors for invalid input."""

    type = ma.fields.String()
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    detail = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemFieldSchema))


_NUL_MESSAGE = "Invalid character: text must not contain NUL (U+0000)."
_SURROGATE_MESSAGE = ("Invalid character: text must be valid Unicode (a lone surrogate, "
                      "U+D800 to U+DFFF, cannot be stored).")
# NUL, which PostgreSQL refuses in text, and lone surrogates, which JSON's \u escapes can carry
# but no encoding can store (UnicodeEncodeError in the driver).
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _bad_character(text: str) -> str | None:
    """The error for a string no database can store, or None when it is fine."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return _NUL_MESSAGE if found.group() == "\x00" else _SURROGATE_MESSAGE


def _escaped(name: str) -> str:
    """A key as an error may name it: its bad characters written as escapes."""
    return _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def _bad_paths(value: Any, path: str = "") -> dict[str, str]:
    """Where a parsed JSON document holds a string that cannot be stored, and why."""
    if isinstance(value, str):
        message = _bad_character(value)
        return {path or "_body": message} if message else {}
    if isinstance(value, dict):
        found: dict[str, str] = {}
        for key, item in value.items():
            message = _bad_character(str(key))
            name = _escaped(str(key))
            child = f"{path}.{name}" if path else name
            found.update({child: message} if message else _bad_paths(item, child))
        return found
    if isinstance(value, list):
        return {p: m for i, item in enumerate(value)
                for p, m in _bad_paths(item, f"{path}.{i}" if path else str(i)).items()}
    return {}


class JourneyParser(FlaskParser):
    """webargs' parser, hardened: no input may crash a request.

    Deeply nested JSON is a 400 (not a RecursionError), and characters no database can store
    (NUL, which PostgreSQL refuses in text, and lone surrogates) are field errors before they
    reach a service.
    """

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        try:
            data = super().load_json(req, schema)
        except RecursionError:
            abort(400, messages={"json": ["Invalid JSON body: nested too deeply."]})
        bad = _bad_paths(data) if data is not ma.missing else {}
        if bad:
            abort(422, messages={"json": {p: [m] for p, m in bad.items()}})
        return data

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        bad: dict[str, str] = {}
        for key, value in req.args.items(multi=True):
            message = _bad_character(key) or _bad_character(value)
            if message:
                bad.setdefault(_escaped(key), message)
        if bad:
            abort(422, messages={"query": {k: [bad[k]] for k in sorted(bad)}})
        return super().load_querystring(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with journey's argument parser; every API module uses it."""

    ARGUMENTS_PARSER = JourneyParser()

    def route(self, rule, *, parameters=None, permission: str | None = None, **options):
        """flask-smorest's route; with a `permission`, the caller is authenticated and checked
        (401/403) before anything else, the body included, is read."""
        register = super().route(rule, parameters=parameters, **options)
        if permission is None:
            return register
        return lambda view: register(requires(permission)(view))


class Api(_Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        # journey.core.errors handles every error; flask-smorest's own JSON shape is not used.
        return None


# Swagger UI's files are served from the installed package: the docs page loads nothing from a CDN.
docs_assets = flask.Blueprint("docs_assets", __name__)


@docs_assets.get("/api/v1/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=3600)
