"""How cost categories and payers read on the staff pages."""

from __future__ import annotations

from journey.core.i18n import _l

CATEGORY_TITLES = {
    "recruitment_fee": _l("Recruitment fee"),
    "preselection": _l("Pre-selection"),
    "skills_recognition": _l("Skills recognition"),
    "training": _l("Training"),
    "stipend": _l("Stipend"),
    "passport": _l("Passport"),
    "visa_fee": _l("Visa fee"),
    "travel": _l("Travel"),
    "health_check": _l("Medical check"),
    "insurance": _l("Insurance"),
    "equipment": _l("Equipment"),
    "lodging": _l("Lodging"),
    "permit": _l("Work or residence permit"),
    "contract": _l("Contract"),
    "integration": _l("Integration"),
    "return_support": _l("Return support"),
    "other": _l("Other"),
}
PAYER_TITLES = {
    "government_origin": _l("Government of origin"),
    "government_destination": _l("Government of destination"),
    "employer": _l("Employer"),
    "migrant": _l("The migrant"),
    "programme": _l("Programme or donor"),
}
