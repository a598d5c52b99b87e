"""Registering a participant in the browser: the record, then the journey's start."""
