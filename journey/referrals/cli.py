"""`journey directory import FILE` and `journey directory export [FILE]`: the service directory
as Open Referral HSDS 3.0 JSON (journey.referrals.hsds_import, .hsds)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext


@click.group("directory")
def directory_group():
    """The service directory (Open Referral HSDS)."""


@directory_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, metavar="CC",
              help="The country (ISO 3166-1 alpha-2) of new organizations whose services "
                   "have no address.")
@with_appcontext
def directory_import(file: str, country: str | None):
    """Import HSDS 3.0 services from FILE: an array of service objects (as `journey directory
    export` writes), or an object with them under "services" or "contents". Providers are
    matched by name, locations and services by provider and name: importing a file twice
    changes nothing the second time. A refused record is reported and skipped."""
    from journey.core.db import db
    from journey.referrals.hsds_import import HsdsFileError, import_services

    try:
        with open(file, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise click.ClickException(f"{file}: not a JSON file ({err})") from err
    try:
        with db.job_session() as sess:
            result = import_services(sess, data, country=country.upper() if country else None)
    except HsdsFileError as err:
        raise click.ClickException(f"{file}: {err}") from err
    for error in result.errors:
        where = f" {error['field']}" if error["field"] else ""
        name = f" ({error['name']})" if error.get("name") else ""
        click.echo(f"record {error['record']}{name}:{where}: {error['message']}", err=True)
    click.echo(result.summary())
    if result.errors:
        sys.exit(1)


@directory_group.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def directory_export(file: str | None):
    """Write the directory as HSDS 3.0 JSON to FILE (standard output without one). Every
    service and location, confidential ones included: keep the file as safely as the data."""
    from journey.core.db import db
    from journey.referrals.hsds import export

    with db.job_session() as sess:
        data = export(sess, None)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if file is None:
        click.echo(text)
        return
    with open(file, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    click.echo(f"{len(data)} services written to {file}", err=True)
