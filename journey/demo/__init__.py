"""Demo data, so a newcomer sees a working system at once."""
