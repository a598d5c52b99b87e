"""Which tables hold personal data, declared by their domains with a category and a link to the
person. Export, erasure and retention build on this list, so it must not fall behind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.db import metadata
from journey.core.domains import Category, PersonalData, load, personal_data
from journey.domains import DOMAINS


@pytest.fixture(scope="module")
def declared() -> dict[str, PersonalData]:
    import journey.models  # noqa: F401  (every table on the metadata)

    return personal_data(load(DOMAINS))


def _tables_with_participant_id() -> set[str]:
    return {t.name for t in metadata.sorted_tables if "participant_id" in t.c}


def test_every_table_with_a_participant_id_is_declared(declared):
    missing = _tables_with_participant_id() - declared.keys()
    assert not missing, f"declare these in their domain's personal_data: {sorted(missing)}"


def test_every_declared_table_exists(declared):
    assert not declared.keys() - metadata.tables.keys()


def test_every_link_leads_through_real_columns(declared):
    for entry in declared.values():
        table = metadata.tables[entry.table]
        first, *hops = entry.link
        assert first in table.c, entry
        for hop in hops:
            name, column = hop.rsplit(".", 1)
            assert column in metadata.tables[name].c, entry
        if entry.subject == "participant" and not hops and first != "id":
            # A direct link is the participant's id (audit events: an object id that may be one).
            assert first in ("participant_id", "object_id"), entry
        assert entry.categories and all(isinstance(c, Category) for c in entry.categories)
        assert entry.subject in ("participant", "staff")


def test_the_known_personal_data_is_there(declared):
    """Spot checks against what the tables hold (a table renamed or dropped from a declaration
    shows up here)."""
    assert Category.SENSITIVE in declared["participants"].categories
    assert Category.CONTACT in declared["participants"].categories
    assert declared["permits"].categories == (Category.SENSITIVE,)
    assert Category.MESSAGE in declared["outbox_messages"].categories
    assert Category.MESSAGE in declared["inbound_messages"].categories
    assert declared["passport_entry_revisions"].link == ("entry_id",
                                                         "passport_entries.participant_id")
    assert declared["users"].subject == "staff"


def test_a_missing_declaration_fails(declared):
    """The check itself: a table with participant_id that nobody declared is reported."""
    extra = sa.MetaData()
    sa.Table("undeclared_things", extra, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("participant_id", sa.Integer))
    found = {t.name for t in [*metadata.sorted_tables, *extra.sorted_tables]
             if "participant_id" in t.c}
    assert found - declared.keys() == {"undeclared_things"}


def test_the_app_holds_the_same_declarations(app, declared):
    assert dict(app.extensions["journey_personal_data"]) == declared
