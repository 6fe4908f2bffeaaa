"""replies in flight in a table of their own, with the processes sending them; webhook
arrivals shared by web workers (issue 16)

A reply is written with its turn and deleted once sent. In the outbox that cost six index
updates each way on every message; here one. A reply whose process stopped being seen is
moved to the outbox by the dispatcher and sent from there. Web workers behind a balancer
record each delivery in `webhook_arrivals`, so a chat's updates run in update-id order
whichever worker took them.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replies_in_flight",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"],
                                name=op.f("fk_replies_in_flight_partner_id_partners"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_replies_in_flight")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reply_senders",
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_reply_senders")),
    )
    op.create_table(
        "webhook_arrivals",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_webhook_arrivals")),
    )
    op.create_index("ix_webhook_arrivals_chat", "webhook_arrivals",
                    ["bot_id", "chat_key", "update_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_arrivals_chat", table_name="webhook_arrivals")
    op.drop_table("webhook_arrivals")
    op.drop_table("reply_senders")
    op.drop_table("replies_in_flight")
