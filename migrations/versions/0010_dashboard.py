"""the coaches' web dashboard: one-time sign-in links (issue 18)

Revision ID: 0010
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
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
    # narrow indexes for the dashboard's aggregates
    op.create_index('ix_partners_cohort_role', 'partners', ['cohort_id', 'role', 'onboarded_at'], unique=False)
    op.create_index('ix_partners_role', 'partners', ['role'], unique=False)
    op.create_index('ix_module_progress_done', 'module_progress', ['module_id', 'completed_at', 'partner_id'], unique=False)
    op.create_index('ix_quiz_attempts_results', 'quiz_attempts', ['quiz_id', 'passed', 'partner_id', 'finished_at'], unique=False)
    op.create_index('ix_quiz_answers_items', 'quiz_answers', ['attempt_id', 'question_id', 'correct', 'option_id'], unique=False)
    op.create_index('ix_outbox_dedupe_prefix', 'outbox', ['dedupe_key'], unique=False, postgresql_ops={'dedupe_key': 'text_pattern_ops'})
    op.create_index('ix_assessment_answers_partner_rating', 'assessment_answers', ['partner_id', 'phase', 'statement_id', 'rating'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_assessment_answers_partner_rating', table_name='assessment_answers')
    op.drop_index('ix_outbox_dedupe_prefix', table_name='outbox')
    op.drop_index('ix_quiz_answers_items', table_name='quiz_answers')
    op.drop_index('ix_quiz_attempts_results', table_name='quiz_attempts')
    op.drop_index('ix_module_progress_done', table_name='module_progress')
    op.drop_index('ix_partners_role', table_name='partners')
    op.drop_index('ix_partners_cohort_role', table_name='partners')
    op.drop_index(op.f('ix_dashboard_links_coach_id'), table_name='dashboard_links')
    op.drop_table('dashboard_links')
