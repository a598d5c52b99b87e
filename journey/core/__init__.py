"""Shared machinery every domain package builds on: database, errors, audit, auth, i18n."""
