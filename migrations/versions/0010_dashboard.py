"""the coaches' web dashboard: one-time sign-in links (issue 18)

Revision ID: 0010
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['coach_id'], ['partners.id'], name=op.f('fk_dashboard_links_coach_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_dashboard_links_token_hash'))
    )
    op.create_index(op.f('ix_dashboard_links_coach_id'), 'dashboard_links', ['coach_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_links_coach_id'), table_name='dashboard_links')
    op.drop_table('dashboard_links')
