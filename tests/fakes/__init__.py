"""Fakes of outside services: real processes on loopback that tests talk to instead of the internet."""
