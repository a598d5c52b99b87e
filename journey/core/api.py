"""The flask-smorest Api (OpenAPI generated from schemas) and its problem+json error schema."""

from __future__ import annotations

import decimal
import functools
import http
import inspect
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from flask import send_from_directory
from flask_smorest import Api as _Api
from flask_smorest.utils import prepare_response
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser, abort

from journey.core.auth import requires
from journey.core.errors import PROBLEM_JSON
from journey.core.i18n import _l
from journey.core.ids import MAX_ID, IdConverter


class ProblemFieldSchema(ma.Schema):
    field = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with field-by-field errors for invalid input.

    Some problems carry extension members (a stale version's `current_version`, a duplicate's
    `existing`, a refused transition's `guards`), so other properties are allowed.
    """

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    detail = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemFieldSchema))


_NUL_MESSAGE = _l("Invalid character: text must not contain NUL (U+0000).")
_SURROGATE_MESSAGE = _l("Invalid character: text must be valid Unicode (a lone surrogate, "
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
            abort(400, messages={"json": [_l("Invalid JSON body: nested too deeply.")]})
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

        def decorate(view):
            checked = refuse_unknown_query(view)
            return register(checked if permission is None else requires(permission)(checked))
        return decorate


_UNKNOWN_PARAMETER = _l("Unknown field.")  # marshmallow's words: translated, code unknown-field


def declared_query(view: Callable) -> frozenset[str]:
    """The query parameters a view declares (its `@blp.arguments(..., location="query")`)."""
    names: set[str] = set()
    for param in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", ()):
        if not isinstance(param, dict) or param.get("in") != "query":
            continue
        schema = param["schema"]
        schema = schema() if isinstance(schema, type) else schema
        names |= {f.data_key or n for n, f in schema.fields.items() if not f.dump_only}
    return frozenset(names)


def refuse_unknown_query(view: Callable) -> Callable:
    """The view, refusing (422) a query parameter it does not declare, rather than ignoring it:
    a misspelt filter (`?stage=…` vs `?stages=…`) or page size would otherwise answer silently
    with something else than was asked for. A view without a query schema accepts none."""
    allowed = declared_query(view)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        unknown = sorted(set(flask.request.args) - allowed)
        if unknown:
            abort(422, messages={"query": {_escaped(k): [_UNKNOWN_PARAMETER] for k in unknown}})
        return view(*args, **kwargs)

    return wrapper


# --- the OpenAPI document ------------------------------------------------------------------------
# flask-smorest documents what the decorators say (bodies, success responses); JourneyDocPlugin
# completes every operation from what the code does, in one place rather than on every route:
# its error responses, security, headers and operationId.

BEARER = "bearerAuth"

# Operations anyone may call; every other one needs an API token (Authorization: Bearer …).
# tests/core/test_openapi.py calls each operation without a token to hold this list to the truth.
PUBLIC_ENDPOINTS = frozenset({
    "accounts.create_token",  # how a token is obtained
    "credentials.verify_credential",  # a verifier (an employer, a border officer) has no account
    "credentials.credential_status",  # the status list a verifier's software polls
})

_BODY_METHODS = {"post", "put", "patch"}
_REQUEST_ID = {
    "description": "The request's id, in every log line about it: the caller's X-Request-ID when it "
                   "is 8 to 64 letters, digits, '.', '_' or '-', else a new one.",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._-]{8,64}$"},
    "required": True,
}
_ETAG = {
    "description": "The version of what was returned; send it back in If-Match to change it.",
    "schema": {"type": "string", "pattern": r'^"[0-9]+"$', "example": '"3"'},
    "required": True,
}
_TOTAL = {
    "description": "How many items match, on every page (the body's total).",
    "schema": {"type": "integer", "minimum": 0},
    "required": True,
}
_IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False,
    "description": "The ETag you read (or send the body's version field): a stale one is a 412.",
    "schema": {"type": "string", "maxLength": 24, "example": '"3"'},
}
_X_REQUEST_ID_PARAM = {
    "in": "header", "name": "X-Request-ID", "required": False,
    "description": "Your id for this request, echoed back and logged when it is 8 to 64 of "
                   "A-Z a-z 0-9 . _ - (any other value is replaced by a new id, not refused).",
    "schema": {"type": "string"},
}


def _code_mentions(code: types.CodeType) -> Iterator[Any]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_mentions(const)
        else:
            yield const


def mentions(view: Callable, found: Callable[[Any], bool]) -> bool:
    """Whether a view, or a function of its own module that it calls, names something `found`
    accepts (a global it uses, or a constant): what the code does, read without running it."""
    seen: set[int] = set()

    def walk(func: types.FunctionType) -> bool:
        if id(func) in seen:
            return False
        seen.add(id(func))
        for name in _code_mentions(func.__code__):
            obj = func.__globals__.get(name, name) if isinstance(name, str) else name
            if found(obj):
                return True
            if (isinstance(obj, types.FunctionType) and obj.__module__ == func.__module__
                    and walk(obj)):
                return True
        return False

    inner = inspect.unwrap(view)
    return isinstance(inner, types.FunctionType) and walk(inner)


class JourneyDocPlugin(BasePlugin):
    """Completes each operation with what flask-smorest's decorators do not say."""

    def __init__(self, api: Api) -> None:
        super().__init__()
        self.api = api

    def _response(self, status: int) -> dict[str, str]:
        return self.api.spec.components.get_ref("response", http.HTTPStatus(status).name)

    def operation_helper(self, path=None, operations=None, **kwargs):
        from journey.core.pagination import with_total
        from journey.core.versions import if_match, precondition

        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view = self.api._app.view_functions[rule.endpoint]
        public = rule.endpoint in PUBLIC_ENDPOINTS
        # A view that reads If-Match refuses a stale one (412) and, when it needs a version,
        # a request with neither If-Match nor a version field (428).
        reads_if_match = mentions(view, lambda o: o is if_match or o is precondition)
        sets_etag = mentions(view, lambda o: o == "ETag")
        sends_total = mentions(view, lambda o: o is with_total)
        has_path_ids = bool(rule.arguments)
        for method, op in operations.items():
            op["operationId"] = rule.endpoint.replace(".", "_") + (
                f"_{method}" if len(operations) > 1 else "")
            op["security"] = [] if public else [{BEARER: []}]
            params = op.setdefault("parameters", [])
            params.append(dict(_X_REQUEST_ID_PARAM))
            if reads_if_match:
                params.append(dict(_IF_MATCH))
            has_body = "requestBody" in op
            errors = set()
            if not public:
                errors |= {401, 403}
            if has_path_ids:
                errors.add(404)
            if method in _BODY_METHODS:
                errors |= {413, 415}  # journey.core.requests refuses these before any view
            if has_body:
                errors |= {400, 422}  # malformed JSON; invalid fields
            errors.add(422)  # an unknown query parameter, on every operation (refuse_unknown_query)
            if method != "get":
                errors.add(409)  # a write that conflicts at commit (journey.core.requests)
            if reads_if_match:
                errors |= {412, 428}
            responses = op.setdefault("responses", {})
            responses.pop("default", None)
            for status in errors:
                responses.setdefault(str(status), self._response(status))
            for status, response in list(responses.items()):
                code = int(status)
                if isinstance(response, str):  # a component's name
                    responses[status] = self.api.spec.components.get_ref("response", response)
                    continue
                if "$ref" in response:
                    continue
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
                if code >= 400:  # a described error (alt_response): the shared problem body
                    response["content"] = {PROBLEM_JSON: {"schema": {
                        "$ref": "#/components/schemas/Problem"}}}
                elif sets_etag and code != 204:
                    headers["ETag"] = {"$ref": "#/components/headers/ETag"}
                if sends_total and code == 200:
                    headers["X-Total-Count"] = {"$ref": "#/components/headers/X-Total-Count"}


def _decimal_schema(_converter, field, ret: dict[str, Any], **_kwargs) -> dict[str, Any]:
    """A Decimal field as it really travels: its bounds as JSON numbers (apispec writes them as
    the field serialises them, strings), and, when the field is answered as a string, either a
    number or a decimal string."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    number: dict[str, Any] = {"type": "number"}
    for key in ("minimum", "maximum"):
        if key in ret:
            number[key] = float(decimal.Decimal(str(ret.pop(key))))
    if not field.as_string:
        ret.update(number)
        return {}
    ret.pop("type", None)
    ret.pop("format", None)
    ret["oneOf"] = [number, {"type": "string", "pattern": r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$"}]
    return {}


def _id_param_schema(_converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID}


class Api(_Api):
    ERROR_SCHEMA = ProblemSchema
    # Errors are documented per status (JourneyDocPlugin), not as a catch-all "default".
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        # journey.core.errors handles every error; flask-smorest's own JSON shape is not used.
        return None

    def _init_spec(self, *, extra_plugins=None, **options):
        options.setdefault("servers", [{"url": "/", "description": "This server."}])
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), JourneyDocPlugin(self)],
                           **options)
        self._register_converter(IdConverter, _id_param_schema)
        self.ma_plugin.converter.add_attribute_function(_decimal_schema)
        self.spec.components.security_scheme(BEARER, {
            "type": "http", "scheme": "bearer",
            "description": "An API token from POST /api/v1/auth/tokens: "
                           "`Authorization: Bearer jrn_…`.",
        })
        self.spec.components.header("X-Request-ID", _REQUEST_ID)
        self.spec.components.header("ETag", _ETAG)
        self.spec.components.header("X-Total-Count", _TOTAL)

    def _openapi_swagger_ui(self):
        # Our own page (journey/templates/api_docs.html): a lang attribute, and no inline script.
        return flask.render_template(
            "api_docs.html", title=self.spec.title, swagger_ui_url=self._swagger_ui_url,
            spec_url=flask.url_for(f"{self._make_doc_blueprint_name()}.openapi_json"),
        )

    def _register_responses(self):
        # Every error is application/problem+json with the one ProblemSchema (journey.core.errors).
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA,
                        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


# Swagger UI's files are served from the installed package: the docs page loads nothing from a CDN.
docs_assets = flask.Blueprint("docs_assets", __name__)


@docs_assets.get("/api/v1/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=3600)
