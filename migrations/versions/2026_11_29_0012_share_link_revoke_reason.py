"""Share links remember why they were revoked; links that a withdrawal of consent to share left
open are closed for good.

Before this revision, withdrawing consent only made open links answer 410 while it stood: given
again, consent reopened them, and the API showed them active all along (issue #11, finding 3 of
the review: "consent withdrawal does not close share links"). A link is now revoked by the
withdrawal itself (revoke_reason 'consent_withdrawn'). Existing rows: a link revoked by staff
gets 'revoked'; a link still open that was created before a withdrawal of consent to share is
revoked as of that withdrawal, by whoever recorded it, and the employer's 'shared' link to the
participant ends when no open share link to that employer is left.

Revision ID: 0012
Revises: 0006
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The withdrawals of consent to share that came after a link was made.
_WITHDRAWN_AFTER = """
    FROM consent_records c
    WHERE c.participant_id = share_links.participant_id AND c.purpose = 'share_employers'
      AND c.withdrawn_at IS NOT NULL AND c.withdrawn_by IS NOT NULL
      AND c.withdrawn_at >= share_links.created_at
"""
_CLOSED_BY_WITHDRAWAL = """
    FROM share_links s
    WHERE s.participant_id = participant_links.participant_id
      AND s.employer_id = participant_links.employer_id AND s.revoke_reason = 'consent_withdrawn'
"""


def upgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE share_links SET revoke_reason = 'revoked' WHERE revoked_at IS NOT NULL"))
    conn.execute(sa.text(f"""
        UPDATE share_links SET
          revoke_reason = 'consent_withdrawn',
          revoked_at = (SELECT c.withdrawn_at {_WITHDRAWN_AFTER} ORDER BY c.withdrawn_at LIMIT 1),
          revoked_by = (SELECT c.withdrawn_by {_WITHDRAWN_AFTER} ORDER BY c.withdrawn_at LIMIT 1)
        WHERE revoked_at IS NULL AND EXISTS (SELECT 1 {_WITHDRAWN_AFTER})
    """))
    conn.execute(sa.text(f"""
        UPDATE participant_links SET
          ended_at = (SELECT MAX(s.revoked_at) {_CLOSED_BY_WITHDRAWAL})
        WHERE kind = 'employer' AND reason = 'shared' AND ended_at IS NULL
          AND (SELECT MAX(s.revoked_at) {_CLOSED_BY_WITHDRAWAL}) >= created_at
          AND NOT EXISTS (SELECT 1 FROM share_links s
                          WHERE s.participant_id = participant_links.participant_id
                            AND s.employer_id = participant_links.employer_id
                            AND s.revoked_at IS NULL)
    """))
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_share_links_revoke_reason_complete'),
            '(revoked_at IS NULL) = (revoke_reason IS NULL)')
        batch_op.create_check_constraint(
            op.f('ck_share_links_revoke_reason_valid'),
            "revoke_reason IN ('revoked', 'consent_withdrawn')")


def downgrade() -> None:
    # Links closed by a withdrawal stay revoked (revoked_at and revoked_by are kept): only the
    # reason is forgotten.
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_share_links_revoke_reason_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_share_links_revoke_reason_complete'), type_='check')
        batch_op.drop_column('revoke_reason')
