"""The onboarding steps a programme may ask employers to confirm, by key.

The titles, due dates and opening live with the employers (journey.employers.onboarding, whose
STEP_TITLES has exactly these keys: tests/programmes/test_budget.py checks it); the keys are here
because a programme's schema validates its list and journey.programmes cannot import
journey.employers (employers → programmes already).
"""

from __future__ import annotations

STEP_KEYS = ("contract_signed", "arrival_met", "accommodation_ready", "workplace_induction",
             "first_wage_paid", "social_security_registered", "health_insurance",
             "bank_account_opened", "language_course_started")
