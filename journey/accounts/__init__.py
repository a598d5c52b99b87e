"""Accounts: users, API tokens and login."""
