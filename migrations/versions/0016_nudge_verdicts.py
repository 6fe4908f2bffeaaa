"""a nudge's verdict on its outbox row: the planner re-judges a waiting nudge only when its
partner changed or its reason expired; a partner judged with nothing to plan is not judged
again before something comes due or they change (issue 19, planner target)

Revision ID: 0016
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_active", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "nudge_quiet",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("seen_active", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"],
                                name=op.f("fk_nudge_quiet_partner_id_partners"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_nudge_quiet")),
    )


def downgrade() -> None:
    op.drop_table("nudge_quiet")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
        batch_op.drop_column("seen_active")
