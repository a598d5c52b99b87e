"""Referrals (issue #16): the service directory and closed-loop referrals to partner services."""
