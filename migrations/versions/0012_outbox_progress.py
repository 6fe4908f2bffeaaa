"""a broadcast's progress from one index: outbox (dedupe_key, status) INCLUDE (sent_at) (issue 18)

Replaces ix_outbox_dedupe_prefix (dedupe_key alone), which it covers.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_dedupe_status', 'outbox', ['dedupe_key', 'status'], unique=False,
                    postgresql_ops={'dedupe_key': 'text_pattern_ops'},
                    postgresql_include=['sent_at'])
    op.drop_index('ix_outbox_dedupe_prefix', table_name='outbox')


def downgrade() -> None:
    op.create_index('ix_outbox_dedupe_prefix', 'outbox', ['dedupe_key'], unique=False,
                    postgresql_ops={'dedupe_key': 'text_pattern_ops'})
    op.drop_index('ix_outbox_dedupe_status', table_name='outbox')
