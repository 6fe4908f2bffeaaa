"""whatsapp channel: chats (the 24-hour window, consent, numbered menus) and statuses (issue 17)

Revision ID: 0008
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('whatsapp_chats',
    sa.Column('wa_id', sa.String(length=32), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opt_in', sa.String(length=16), nullable=True),
    sa.Column('menu', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('wa_id', name=op.f('pk_whatsapp_chats'))
    )
    op.create_table('whatsapp_statuses',
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_whatsapp_statuses_outbox_id_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wamid', name=op.f('pk_whatsapp_statuses'))
    )
    with op.batch_alter_table('whatsapp_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_statuses_outbox_id'), ['outbox_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('whatsapp_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_statuses_outbox_id'))
    op.drop_table('whatsapp_statuses')
    op.drop_table('whatsapp_chats')
