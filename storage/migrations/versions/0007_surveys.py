"""surveys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name='fk_survey_invitations_cohort', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name='fk_survey_invitations_person', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cohort_id', 'survey_id', 'person_id', name='uq_survey_invitations_person')
    )
    op.create_index('ix_survey_invitations_cohort_id', 'survey_invitations', ['cohort_id'], unique=False)
    op.create_index('ix_survey_invitations_person_id', 'survey_invitations', ['person_id'], unique=False)
    # WITHOUT ROWID on SQLite: rows are stored by their random key, so their order says nothing.
    op.create_table('survey_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name='fk_survey_answers_cohort', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_survey_answers_question', 'survey_answers', ['cohort_id', 'survey_id', 'question_id'], unique=False)
    op.create_table('export_links',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name='fk_export_links_cohort', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name='fk_export_links_person', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token')
    )
    op.create_index('ix_export_links_person_id', 'export_links', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_export_links_person_id', table_name='export_links')
    op.drop_table('export_links')
    op.drop_index('ix_survey_answers_question', table_name='survey_answers')
    op.drop_table('survey_answers')
    op.drop_index('ix_survey_invitations_person_id', table_name='survey_invitations')
    op.drop_index('ix_survey_invitations_cohort_id', table_name='survey_invitations')
    op.drop_table('survey_invitations')
