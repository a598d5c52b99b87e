"""`journey taxonomy`: ISCO-08 groups and ESCO occupations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("taxonomy")
def taxonomy_group():
    """ISCO-08 groups and ESCO occupations."""


@taxonomy_group.command("import-esco")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--isco-groups", type=click.Path(exists=True, dir_okay=False),
              help="ISCOGroups_en.csv, with the official ESCO occupations_en.csv.")
@with_appcontext
def taxonomy_import_esco(file: str, isco_groups: str | None):
    """Import ESCO occupations and ISCO-08 groups from FILE (idempotent; never deletes).

    FILE is the flat occupations CSV (esco_label, esco_key, isco_4_label, isco_4_key, ...) or the
    official ESCO occupations_en.csv together with --isco-groups ISCOGroups_en.csv.
    """
    import time

    from journey.core.db import db
    from journey.taxonomy.services import TaxonomyFileError, import_esco

    start = time.perf_counter()
    try:
        with db.job_session() as sess:
            result = import_esco(sess, file, isco_groups=isco_groups)
    except TaxonomyFileError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{result.summary()} ({time.perf_counter() - start:.2f} s)")


@taxonomy_group.command("load-base")
@with_appcontext
def taxonomy_load_base():
    """Load the ISCO-08 groups and ESCO occupations that ship with journey (adds what is missing)."""
    from journey.core.db import db
    from journey.taxonomy.services import load_base

    with db.job_session() as sess:
        result = load_base(sess)
    click.echo(result.summary())
