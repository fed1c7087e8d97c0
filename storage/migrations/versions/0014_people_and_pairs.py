"""people and pairs (issue 14): enrolment, profiles, pauses, unresponsive pairs, pace nudges

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:00:00.000000

Columns are added with plain ALTER TABLE ... ADD COLUMN (no foreign keys), so SQLite never rebuilds a
table whose rows others cascade from.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('persons', sa.Column('away_until', sa.Date(), nullable=True))
    op.add_column(
        'memberships', sa.Column('enrolled', sa.Boolean(), server_default=sa.text('false'), nullable=False)
    )
    op.add_column('pairs', sa.Column('paused_until', sa.Date(), nullable=True))
    op.add_column('pairs', sa.Column('pause_reason', sa.String(length=32), nullable=True))
    op.add_column('pairs', sa.Column('quiet_flagged_on', sa.Date(), nullable=True))
    op.add_column('pairs', sa.Column('pace_nudged_on', sa.Date(), nullable=True))
    op.create_table(
        'profiles',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('expertise', sa.String(length=500), nullable=False),
        sa.Column('interests', sa.String(length=500), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name='fk_profiles_person', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name='pk_profiles'),
    )


def downgrade() -> None:
    op.drop_table('profiles')
    with op.batch_alter_table('pairs') as batch:
        for name in ('pace_nudged_on', 'quiet_flagged_on', 'pause_reason', 'paused_until'):
            batch.drop_column(name)
    with op.batch_alter_table('memberships') as batch:
        batch.drop_column('enrolled')
    with op.batch_alter_table('persons') as batch:
        batch.drop_column('away_until')
