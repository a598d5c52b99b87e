"""The tables of other domains the ledger reads, named here as plain table clauses.

journey.costs cannot import journey.employers or journey.grievances: both reach journey.costs
already (employers → continuum → costs; grievances → messaging → continuum → costs: the
continuum's no_fees_paid_by_migrant guard reads the ledger), so importing their models would
make a cycle (tests/test_imports.py). The ledger needs only a few columns of theirs, by name,
as its foreign keys already do ("placements.id", "recruiters.id", "grievances.id").
"""

from __future__ import annotations

import sqlalchemy as sa

placements = sa.table(
    "placements", sa.column("id", sa.Integer), sa.column("participant_id", sa.Integer),
    sa.column("employer_id", sa.Integer), sa.column("recruiter_id", sa.Integer),
    sa.column("programme_id", sa.Integer), sa.column("status", sa.String),
    sa.column("contract_start", sa.Date))
recruiters = sa.table("recruiters", sa.column("id", sa.Integer), sa.column("name", sa.String))
grievances = sa.table("grievances", sa.column("id", sa.Integer),
                      sa.column("reference", sa.String))

ACTIVE = "active"  # journey.employers.models.PlacementStatus.ACTIVE
