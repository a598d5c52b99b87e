"""The flask-smorest Api (OpenAPI generated from schemas) and its problem+json error schema."""

from __future__ import annotations

import marshmallow as ma
from flask import Blueprint, send_from_directory
from flask_smorest import Api as _Api
from swagger_ui_bundle import swagger_ui_path


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


class Api(_Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        # journey.core.errors handles every error; flask-smorest's own JSON shape is not used.
        return None


api = Api()

# Swagger UI's files are served from the installed package: the docs page loads nothing from a CDN.
docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.get("/api/v1/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=3600)
