"""Public pages for passports: what an employer sees through a share link."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("passport_pages", __name__)
