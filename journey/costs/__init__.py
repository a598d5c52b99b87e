"""Costs of a migration and who paid them; the Employer Pays principle (IOM seed 1485-1660)."""
