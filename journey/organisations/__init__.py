"""Offices (migrant resource centres), employers and service providers."""
