"""A user's own language: the setting every staff page follows, changed by the user themself
(the header's switch, the account page)."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.schemas import Language


class LanguageChoiceSchema(ma.Schema):
    """The one field of the switch and of the account page's language form."""

    language = Language(required=True)


def set_own_language(sess: Session, user: User, language: str) -> bool:
    """Change the user's own language (already validated); audited. Whether it changed."""
    if user.language == language:
        return False
    previous, user.language = user.language, language
    sess.flush()
    audit.record(sess, "accounts:user:language", actor_id=user.id, object_type="user",
                 object_id=user.id, office_id=user.office_id, previous=previous,
                 language=language)
    return True
