"""check-in answers, what coaches taught the FAQ (issue 14)

Revision ID: 0011
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('prompt_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_checkin_answers_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_answers')),
    sa.UniqueConstraint('prompt_key', name=op.f('uq_checkin_answers_prompt_key'))
    )
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_answers_partner_id'), ['partner_id'], unique=False)

    op.create_table('faq_taught',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer_id', sa.Text(), nullable=True),
    sa.Column('answer_en', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_taught')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_faq_taught_ticket_id'))
    )
    with op.batch_alter_table('faq_taught', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_taught_pack_id'), ['pack_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('faq_taught', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_taught_pack_id'))

    op.drop_table('faq_taught')
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answers_partner_id'))

    op.drop_table('checkin_answers')
