"""Programmes: one Skills Mobility Partnership corridor each."""
