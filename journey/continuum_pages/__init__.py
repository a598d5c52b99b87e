"""The staff pages of the migration continuum and its costs: the Journey, Permits and Costs
sections of a participant's record, moves, overrides, the checklist, and bulk moves.

A package of its own because journey.web imports journey.continuum (stage titles): pages in
continuum, which need journey.web's login and form kit, would make the two import each other.
"""
