"""regions and coordinator terms

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 15:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.String(length=64), nullable=True))

    op.create_table('coordinator_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.String(length=64), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('mentor_cohort_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name='fk_coordinator_terms_person', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['persons.id'], name='fk_coordinator_terms_successor', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentor_cohort_id'], ['cohorts.id'], name='fk_coordinator_terms_mentor_cohort', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['persons.id'], name='fk_coordinator_terms_recorded_by', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['persons.id'], name='fk_coordinator_terms_ended_by', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_coordinator_terms')
    )
    with op.batch_alter_table('coordinator_terms', schema=None) as batch_op:
        batch_op.create_index('ix_coordinator_terms_program_id', ['program_id'], unique=False)
        batch_op.create_index('ix_coordinator_terms_person_id', ['person_id'], unique=False)
        # One current term per person and program (a partial index, on SQLite and PostgreSQL alike).
        batch_op.create_index(
            'uq_coordinator_terms_current',
            ['program_id', 'person_id'],
            unique=True,
            sqlite_where=sa.text('ended_on IS NULL'),
            postgresql_where=sa.text('ended_on IS NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('coordinator_terms', schema=None) as batch_op:
        batch_op.drop_index('uq_coordinator_terms_current')
        batch_op.drop_index('ix_coordinator_terms_person_id')
        batch_op.drop_index('ix_coordinator_terms_program_id')

    op.drop_table('coordinator_terms')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('region_id')
