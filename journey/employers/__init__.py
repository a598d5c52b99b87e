"""Employers (issue #15): vacancies, candidate selection, placements and onboarding, recruiters,
and the Employer Pays commitment (the cost ledger itself is journey.costs)."""
