"""Outbound SMS and email, inbound replies and the scheduler (built in the notifications issue).

Domains call into this package; it never imports a domain package.
"""
