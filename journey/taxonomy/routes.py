"""Taxonomy search: ISCO-08 groups and ESCO occupations, by code and by label."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.db import db
from journey.core.pagination import with_total
from journey.core.schemas import page_schema
from journey.taxonomy import services
from journey.taxonomy.schemas import (
    IscoGroupDetailSchema,
    IscoGroupQuerySchema,
    IscoGroupSchema,
    OccupationQuerySchema,
    OccupationSchema,
)

blp = Blueprint("taxonomy", __name__, url_prefix="/taxonomy",
                description="ISCO-08 groups and ESCO occupations, searched by code and by label.")
IscoGroupPageSchema = page_schema(IscoGroupSchema, "IscoGroupPage")
OccupationPageSchema = page_schema(OccupationSchema, "OccupationPage")

# Reference data with no personal data in it: reads are not audited.


@blp.get("/isco-groups", permission="taxonomy:read")
@blp.arguments(IscoGroupQuerySchema, location="query")
@blp.response(200, IscoGroupPageSchema)
def list_isco_groups(args):
    """Search ISCO-08 groups by code prefix, title or level; exact matches first, then by code."""
    return with_total(services.search_groups(db.session, **args))


@blp.get("/isco-groups/<code>", permission="taxonomy:read")
@blp.response(200, IscoGroupDetailSchema)
def get_isco_group(code: str):
    """One ISCO-08 group with its parents, its children and (unit groups) its ESCO occupations."""
    detail = services.group_detail(db.session, code)
    group = detail.pop("group")
    return {"code": group.code, "level": group.level, "label": group.label,
            "parent_code": group.parent_code, **detail}


@blp.get("/occupations", permission="taxonomy:read")
@blp.arguments(OccupationQuerySchema, location="query")
@blp.response(200, OccupationPageSchema)
def list_occupations(args):
    """Search ESCO occupations by title or ISCO-08 code prefix; exact titles first, then by title."""
    return with_total(services.search_occupations(db.session, **args))
