"""Employer records, contacts, Employer Pays commitments and the recruiters registry (admins and staff)."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("employer_registry", __name__, url_prefix="", description="Employer records, contacts, Employer Pays commitments and the recruiters registry (admins and staff).")
