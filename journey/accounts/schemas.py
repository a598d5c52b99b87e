"""Account schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.accounts.models import DeactivationReason, ReactivationReason
from journey.accounts.passwords import MIN_LENGTH
from journey.accounts.services import user_version
from journey.core.auth import ApiToken, User
from journey.core.i18n import _l
from journey.core.policy import Role
from journey.core.schemas import Id, Integer, Language, Name, Version, columns

_PASSWORD_HELP = {"description": f"At least {MIN_LENGTH} characters, and hard to guess (zxcvbn "
                                 "score 3 or more; not your username, name or email)."}


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=80),
                                metadata={"example": "caseworker"})
    password = ma.fields.String(required=True, load_only=True,
                                validate=validate.Length(min=1, max=1024),
                                metadata={"example": "journey-demo-2026"})
    name = ma.fields.String(load_default="api", validate=validate.Length(min=1, max=100),
                            metadata={"example": "caseload-sync"})
    expires_in_days = Integer(validate=validate.Range(min=1, max=365), metadata={"example": 30})
    otp = ma.fields.String(validate=validate.Length(min=6, max=10), metadata={
        "description": "The current code of the user's authenticator (required once they have "
                       "set up a second factor).", "example": "123456"})


class TokenSchema(ma.Schema):
    class Meta:
        include = columns(ApiToken, "id name created_at expires_at revoked_at last_used_at")


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "Shown once; only its hash is stored."})


class _UserVersion(ma.fields.Integer):
    """The user's version, computed from the user (journey.accounts.services.user_version)."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return user_version(obj)


class UserSchema(ma.Schema):
    class Meta:
        include = columns(User, "id username full_name email role office_id employer_id"
                                " provider_id language is_active")

    version = _UserVersion(dump_only=True, metadata={
        "description": "Send it back (or as If-Match) to edit the user."})


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=[
        validate.Length(min=3, max=80),
        validate.Regexp(r"^[A-Za-z0-9._@-]+$", error=_l("Letters, digits and . _ @ - only.")),
    ])
    full_name = Name(required=True, validate=validate.Length(max=200))
    email = ma.fields.Email(allow_none=True)
    role = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    password = ma.fields.String(required=True, load_only=True, metadata=_PASSWORD_HELP,
                                validate=validate.Length(min=MIN_LENGTH, max=1024))
    office_id = Id(allow_none=True)
    employer_id = Id(allow_none=True)
    provider_id = Id(allow_none=True)
    language = Language(load_default="en")


class UserUpdateSchema(ma.Schema):
    """What an admin changes on an existing user; fields left out keep their value."""

    full_name = Name(validate=validate.Length(max=200))
    email = ma.fields.Email(allow_none=True)
    role = ma.fields.String(validate=validate.OneOf([r.value for r in Role]))
    office_id = Id(allow_none=True)
    employer_id = Id(allow_none=True)
    provider_id = Id(allow_none=True)
    language = Language()
    version = Version()


class UserQuerySchema(ma.Schema):
    role = ma.fields.String(validate=validate.OneOf([r.value for r in Role]))
    is_active = ma.fields.Boolean()


class DeactivateSchema(ma.Schema):
    reason = ma.fields.String(required=True,
                              validate=validate.OneOf([r.value for r in DeactivationReason]))


class ReactivateSchema(ma.Schema):
    reason = ma.fields.String(required=True,
                              validate=validate.OneOf([r.value for r in ReactivationReason]))


class ResetLinkSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    expires_at = ma.fields.AwareDateTime()
    url = ma.fields.String(metadata={"description": "Shown once; only a hash is stored."})


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True,
                                        validate=validate.Length(min=1, max=1024))
    new_password = ma.fields.String(required=True, load_only=True, metadata=_PASSWORD_HELP,
                                    validate=validate.Length(min=MIN_LENGTH, max=1024))


class PasswordChangedSchema(ma.Schema):
    ended = ma.fields.Integer(metadata={"description": "Other sessions and tokens ended."})
