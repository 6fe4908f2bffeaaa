"""nudges and dispatcher (issue 6)

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the nudge planner's per-rule candidate queries: state + last activity window
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index("ix_partners_state_active", ["state", "last_active_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index("ix_partners_state_active")
