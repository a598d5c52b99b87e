"""Entry kinds that need something to name them refuse an entry naming nothing."""

from __future__ import annotations

import marshmallow as ma
import pytest

from journey.passports.schemas import OccupationRefSchema, OccupationSchema, SkillSchema


@pytest.mark.parametrize(("schema", "field", "named"), [
    (OccupationSchema, "title", {"isco_code": "5120"}),
    (SkillSchema, "title", {"title": "Welding"}),
    (OccupationRefSchema, "isco_code", {"esco_uri": None, "isco_code": "51"}),
])
def test_an_entry_must_name_something(schema, field, named):
    with pytest.raises(ma.ValidationError) as err:
        schema().load({})
    assert list(err.value.messages) == [field]
    assert schema().load(named)
