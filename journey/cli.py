"""The `journey` command for operators. Its commands come from the domains that declare them
(journey/domains.py): `db` from core, `users` from accounts, `worker` and `scheduler` from
messaging, and so on."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from journey import create_app
from journey.core.migrate import alembic_config

# Tests and benches build Alembic configs from here.
__all__ = ["alembic_config", "main"]


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=True,
             add_version_option=False)
def main():
    """Operate a journey deployment."""
