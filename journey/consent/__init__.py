"""Consent, recorded per purpose with its full history, checked at the moment of use."""
