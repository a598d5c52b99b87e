"""Pages: the returnee's own skill form link, the printable card, the public card check."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("skillcard_pages", __name__)
