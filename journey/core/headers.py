"""Security headers on answers that the HTML blueprints (journey.web.pagekit) do not cover: the API
and its documentation page.

API answers carry personal data: nothing may keep a copy (a shared cache, the browser's back
button after logout) or sniff them into another type. The few public, impersonal ones keep their
own caching: the OpenAPI document, Swagger UI's files and the public credential checks.
"""

from __future__ import annotations

from flask import Flask, request

NO_STORE_EXEMPT = frozenset({
    "api-docs.openapi_json", "docs_assets.docs_asset",
    "credentials.verify_credential", "credentials.credential_status",
})
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
# Swagger UI, served from our own files and started from a static script (no inline code).
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.endpoint == DOCS_ENDPOINT:
            headers.setdefault("Content-Security-Policy", DOCS_CSP)
            headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/") and request.endpoint not in NO_STORE_EXEMPT:
            headers["Cache-Control"] = "no-store"
        if production:  # only where TLS is certain: a browser would refuse plain HTTP for a year
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
