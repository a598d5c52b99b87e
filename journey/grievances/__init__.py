"""Grievances: complaints logged confidentially, acknowledged and resolved within business-day
SLAs, escalated once when breached, and open to one appeal (issue #14).

The shape is the continuum's: one transition table with guards (states.py), one function that
changes a state (services.transition), masking decided in one place (access.py).
"""
