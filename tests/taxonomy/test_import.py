"""Importing the ESCO occupations file, loading the shipped base, and what a bad file does."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from journey.taxonomy import services
from journey.taxonomy.files import ESCO_OCCUPATION, FLAT_COLUMNS
from journey.taxonomy.models import EscoOccupation, IscoGroup
from journey.taxonomy.services import TaxonomyFileError, import_esco, load_base

ESCO_FILE = Path(__file__).resolve().parent.parent / "data" / "esco" / "occupations.csv"
FLEET_COMMANDER = ESCO_OCCUPATION + "0b1d8dcb-d941-4d79-99bf-fc10c1806c43"
DEMO_UNITS = ("5120", "5131", "5132", "5151", "9112", "9412", "5322", "7112", "7411", "8322")


def _counts(sess) -> tuple[dict[int, int], int]:
    levels = dict(sess.execute(sa.select(IscoGroup.level, sa.func.count())
                               .group_by(IscoGroup.level)).all())
    return levels, sess.scalar(sa.select(sa.func.count()).select_from(EscoOccupation))


def _snapshot(sess) -> tuple[list, list]:
    groups = sess.execute(sa.select(IscoGroup.__table__).order_by(IscoGroup.code)).all()
    occupations = sess.execute(sa.select(EscoOccupation.__table__)
                               .order_by(EscoOccupation.id)).all()
    return groups, occupations


def _csv(rows: list[dict[str, str]], columns=FLAT_COLUMNS) -> io.StringIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    out.seek(0)
    return out


def _row(**kw: str) -> dict[str, str]:
    row = {"esco_label": "cook", "esco_key": "90f75f67-495d-49fa-ab57-2f320e251d7e",
           "isco_4_label": "Cooks", "isco_4_key": "5120", "isco_3_label": "Cooks",
           "isco_3_key": "512", "isco_2_label": "Personal service workers", "isco_2_key": "51",
           "isco_1_label": "Service and sales workers", "isco_1_key": "5"}
    row.update(kw)
    return row


def test_full_import_builds_the_whole_tree_and_a_second_run_changes_nothing(db_session):
    first = import_esco(db_session, ESCO_FILE)
    assert (first.occupations_created, first.occupations, first.unit_groups) == (2942, 2942, 426)
    assert first.groups_created == 10 + 42 + 125 + 426
    levels, occupations = _counts(db_session)
    # ESCO files no occupation under sub-major 63 (subsistence workers): 42 of ISCO's 43.
    assert levels == {1: 10, 2: 42, 3: 125, 4: 426} and occupations == 2942

    # Leading zeros the file dropped ("110", "11") are restored, with the right parents.
    unit = db_session.get(IscoGroup, "0110")
    assert (unit.level, unit.parent_code, unit.label) == (4, "011", "Commissioned armed forces officers")
    assert db_session.get(IscoGroup, "011").parent_code == "01"
    assert db_session.get(IscoGroup, "01").parent_code == "0"
    assert db_session.get(IscoGroup, "0").parent_code is None
    assert db_session.get(IscoGroup, "110") is None
    fleet = services.occupation_by_uri(db_session, FLEET_COMMANDER)
    assert (fleet.label, fleet.isco_code) == ("fleet commander", "0110")
    # Labels are tidied (a non-breaking space in the source) and folded for search.
    pipeline = db_session.scalars(sa.select(EscoOccupation)
                                  .where(EscoOccupation.label.like("pipeline%superintendent"))).one()
    assert pipeline.label == "pipeline superintendent"
    repetiteur = db_session.scalars(sa.select(EscoOccupation)
                                    .where(EscoOccupation.label == "répétiteur")).one()
    assert repetiteur.label_key == "repetiteur"

    before = _snapshot(db_session)
    again = import_esco(db_session, ESCO_FILE)
    assert (again.groups_created, again.groups_updated, again.groups_unchanged) == (0, 0, 603)
    assert (again.occupations_created, again.occupations_updated,
            again.occupations_unchanged) == (0, 0, 2942)
    assert _snapshot(db_session) == before


def test_a_changed_label_is_updated_and_nothing_is_deleted(db_session):
    import_esco(db_session, ESCO_FILE)
    fleet_id = services.occupation_by_uri(db_session, FLEET_COMMANDER).id
    # A later release renames one occupation, moves it, and retitles its unit group; it also
    # lists nothing else: nothing else may change or disappear.
    changed = _csv([_row(esco_label="Fleet Commandér", esco_key=FLEET_COMMANDER.rsplit("/", 1)[1],
                         isco_4_label="Senior armed forces officers", isco_4_key="110",
                         isco_3_label="Commissioned armed forces officers", isco_3_key="11",
                         isco_2_label="Commissioned armed forces officers", isco_2_key="01",
                         isco_1_label="Armed forces occupations", isco_1_key="0")])
    result = import_esco(db_session, changed)
    assert (result.occupations_updated, result.groups_updated) == (1, 1)
    assert (result.occupations_created, result.groups_created) == (0, 0)
    assert (result.occupations, result.unit_groups) == (2942, 426)
    db_session.expire_all()
    fleet = db_session.get(EscoOccupation, fleet_id)
    assert (fleet.label, fleet.label_key) == ("Fleet Commandér", "fleet commander")
    group = db_session.get(IscoGroup, "0110")
    assert (group.label, group.label_key) == ("Senior armed forces officers",
                                              "senior armed forces officers")
    # Moving an occupation to another unit group is an update too.
    moved = _csv([_row(esco_label="Fleet Commandér", esco_key=FLEET_COMMANDER.rsplit("/", 1)[1])])
    assert import_esco(db_session, moved).occupations_updated == 1
    db_session.expire_all()
    assert db_session.get(EscoOccupation, fleet_id).isco_code == "5120"


# Three good rows come first (lines 2-4), so the bad ones start on line 5.
@pytest.mark.parametrize(("rows", "columns", "expected"), [
    pytest.param([_row()], FLAT_COLUMNS[:-1], "line 1: missing column(s) isco_1_key",
                 id="missing-column"),
    pytest.param([_row(), _row(esco_key="k2", isco_4_key="51A0")], FLAT_COLUMNS,
                 "line 6: isco_4_key '51A0' is not an ISCO-08 code", id="bad-code"),
    pytest.param([_row(), _row(esco_key="k2", isco_4_key="51200")], FLAT_COLUMNS,
                 "line 6: isco_4_key '51200' is not an ISCO-08 code of 4 digit(s)", id="long-code"),
    pytest.param([_row(), _row(esco_key="k2", isco_3_key="513")], FLAT_COLUMNS,
                 "line 6: isco_4_key 5120 does not belong to isco_3_key 513", id="wrong-parent"),
    pytest.param([_row(esco_key="k2", esco_label="  ")], FLAT_COLUMNS,
                 "line 5: esco_label is empty", id="empty-label"),
    pytest.param([_row(), _row()], FLAT_COLUMNS,
                 "line 6: duplicate occupation", id="duplicate-key"),
    pytest.param([_row(), _row(esco_key="k2", isco_4_label="Chefs")], FLAT_COLUMNS,
                 "line 6: ISCO group 5120 is titled 'Chefs' here but 'Cooks' on line 2",
                 id="two-titles"),
    pytest.param([_row(esco_key="not a key")], FLAT_COLUMNS,
                 "line 5: esco_key 'not a key' is not an ESCO identifier", id="bad-key"),
])
def test_a_bad_file_names_the_line_and_writes_nothing(db_session, rows, columns, expected):
    good = [_row(esco_label=f"good {i}", esco_key=f"good-{i}") for i in range(3)]
    with pytest.raises(TaxonomyFileError) as err:
        import_esco(db_session, _csv(good + rows, columns))
    assert any(expected in e for e in err.value.errors), err.value.errors
    assert "nothing imported" in str(err.value)
    assert _counts(db_session) == ({}, 0)


def test_a_file_that_is_not_csv_or_not_there_is_an_error(db_session, tmp_path):
    binary = tmp_path / "occupations.csv"
    binary.write_bytes(b"esco_label,esco_key\n\xff\xfe\x00")
    with pytest.raises(TaxonomyFileError, match="not a readable UTF-8 CSV"):
        import_esco(db_session, binary)
    with pytest.raises(TaxonomyFileError, match="no such file"):
        import_esco(db_session, tmp_path / "missing.csv")
    with pytest.raises(TaxonomyFileError, match="no occupations"):
        import_esco(db_session, _csv([]))
    assert _counts(db_session) == ({}, 0)


OFFICIAL_GROUPS = """conceptType,conceptUri,code,preferredLabel,status,altLabels,inScheme,description
ISCOGroup,http://data.europa.eu/esco/isco/C0,0,Armed forces occupations,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C01,1,Commissioned armed forces officers,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C011,11,Commissioned armed forces officers,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C0110,110,Commissioned armed forces officers,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C5,5,Service and sales workers,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C51,51,Personal service workers,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C512,512,Cooks,released,,,
ISCOGroup,http://data.europa.eu/esco/isco/C5120,5120,Cooks,released,,,
"""
OFFICIAL_OCCUPATIONS = f"""conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,description
Occupation,{FLEET_COMMANDER},0110,fleet commander,"commodore
fleet admiral","Fleet commanders lead
a fleet."
Occupation,{ESCO_OCCUPATION}90f75f67-495d-49fa-ab57-2f320e251d7e,5120,cook,chef,Cooks cook.
"""


def test_the_official_esco_release_imports_with_its_isco_groups_file(db_session, tmp_path):
    occupations, groups = tmp_path / "occupations_en.csv", tmp_path / "ISCOGroups_en.csv"
    occupations.write_text(OFFICIAL_OCCUPATIONS, encoding="utf-8")
    groups.write_text(OFFICIAL_GROUPS, encoding="utf-8")
    with pytest.raises(TaxonomyFileError, match="needs the ISCO groups file"):
        import_esco(db_session, occupations)

    result = import_esco(db_session, occupations, isco_groups=groups)
    assert (result.groups_created, result.occupations_created, result.unit_groups) == (8, 2, 2)
    # The concept URI keeps the zeros a spreadsheet dropped from the code column.
    assert db_session.get(IscoGroup, "0110").parent_code == "011"
    assert services.occupation_by_uri(db_session, FLEET_COMMANDER).isco_code == "0110"
    assert import_esco(db_session, occupations, isco_groups=groups).occupations_unchanged == 2

    # A unit group already in the database need not be in the groups file.
    groups.write_text(OFFICIAL_GROUPS.replace("C0110,110,", "C0110,0110,").split("ISCOGroup,"
                      "http://data.europa.eu/esco/isco/C5,")[0], encoding="utf-8")
    assert import_esco(db_session, occupations, isco_groups=groups).occupations_unchanged == 2
    occupations.write_text(OFFICIAL_OCCUPATIONS + "Occupation,http://data.europa.eu/esco/"
                           "occupation/x1,7777,ghost,,\n", encoding="utf-8")
    with pytest.raises(TaxonomyFileError, match="unit group 7777 is not in the file"):
        import_esco(db_session, occupations, isco_groups=groups)
    # Records span lines (quoted newlines): errors still name the line a record starts on.
    occupations.write_text(OFFICIAL_OCCUPATIONS + "Occupation,http://example.org/x,5120,x,,\n",
                           encoding="utf-8")
    with pytest.raises(TaxonomyFileError, match="line 6: conceptUri 'http://example.org/x'"):
        import_esco(db_session, occupations, isco_groups=groups)


def test_load_base_covers_isco_and_the_demo_units_idempotently(db_session):
    first = load_base(db_session)
    levels, occupations = _counts(db_session)
    assert levels[1] == 10 and levels[2] == 43
    assert db_session.get(IscoGroup, "63").label == ("Subsistence farmers, fishers, hunters "
                                                     "and gatherers")
    for code in DEMO_UNITS:
        group = services.isco_group(db_session, code)
        assert group is not None and group.level == 4, code
        assert db_session.get(IscoGroup, code[:3]).parent_code == code[:2]
        assert db_session.scalar(sa.select(sa.func.count()).select_from(EscoOccupation)
                                 .where(EscoOccupation.isco_code == code)) >= 1, code
    assert first.occupations == occupations == first.occupations_created
    assert load_base(db_session).groups_created == 0
    assert _counts(db_session) == (levels, occupations)

    # A deployment's own import wins: the base never rewrites a title it already has.
    import_esco(db_session, _csv([_row(isco_4_label="Cooks and chefs")]))
    assert load_base(db_session).groups_updated == 0
    db_session.expire_all()
    assert db_session.get(IscoGroup, "5120").label == "Cooks and chefs"
