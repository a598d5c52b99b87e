"""Public pages: the published keys and the credential verification page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("credential_pages", __name__)
