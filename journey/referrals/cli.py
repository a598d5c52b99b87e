"""`journey directory ...` (owner: helper "directory")."""

from __future__ import annotations

import click


@click.group("directory")
def directory_group():
    """The service directory (Open Referral HSDS)."""
