"""Response schemas dump a model's columns as the model types them."""

from __future__ import annotations

import marshmallow as ma

from journey.core.auth import ApiToken
from journey.core.schemas import columns
from journey.skillcards.models import SkillForm


def test_columns_follow_the_model_types_and_nullability():
    fields = columns(ApiToken, "id name revoked_at")
    assert list(fields) == ["id", "name", "revoked_at"]
    assert isinstance(fields["id"], ma.fields.Integer) and not fields["id"].allow_none
    assert isinstance(fields["name"], ma.fields.String) and not fields["name"].allow_none
    assert isinstance(fields["revoked_at"], ma.fields.DateTime) and fields["revoked_at"].allow_none

    form = columns(SkillForm, "prefill completed_by")
    assert isinstance(form["prefill"], ma.fields.Dict)
    assert isinstance(form["completed_by"], ma.fields.Integer) and form["completed_by"].allow_none


def test_a_schema_including_columns_dumps_them_beside_its_own_fields():
    class TokenOut(ma.Schema):
        class Meta:
            include = columns(ApiToken, "id name")

        extra = ma.fields.String()

    assert TokenOut().dump({"id": 3, "name": "cli", "extra": "x", "token_hash": "h"}) == {
        "id": 3, "name": "cli", "extra": "x"}
