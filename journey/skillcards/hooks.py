"""Reacting to the journey: a skill form opens when a participant reaches return."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the continuum event handler (idempotent)."""
