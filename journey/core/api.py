"""The flask-smorest Api (OpenAPI generated from schemas) and its problem+json error schema."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from flask import send_from_directory
from flask_smorest import Api as _Api
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser, abort


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


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """Where a parsed JSON document holds a string with a NUL character."""
    if isinstance(value, str):
        return [path or "_body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if "\x00" in str(key) else _nul_paths(item, child)
        return found
    if isinstance(value, list):
        return [found for i, item in enumerate(value)
                for found in _nul_paths(item, f"{path}.{i}" if path else str(i))]
    return []


class JourneyParser(FlaskParser):
    """webargs' parser, hardened: no input may crash a request.

    Deeply nested JSON is a 400 (not a RecursionError), and NUL characters, which PostgreSQL
    refuses in text, are field errors before they reach a service.
    """

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        try:
            data = super().load_json(req, schema)
        except RecursionError:
            abort(400, messages={"json": ["Invalid JSON body: nested too deeply."]})
        bad = _nul_paths(data) if data is not ma.missing else []
        if bad:
            abort(422, messages={"json": {p: [_NUL_MESSAGE] for p in bad}})
        return data

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        bad = sorted({k for k, v in req.args.items(multi=True) if "\x00" in k or "\x00" in v})
        if bad:
            abort(422, messages={"query": {k: [_NUL_MESSAGE] for k in bad}})
        return super().load_querystring(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with journey's argument parser; every API module uses it."""

    ARGUMENTS_PARSER = JourneyParser()


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
