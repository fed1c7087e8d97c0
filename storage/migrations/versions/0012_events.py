"""events besides peer groups (issue 13, point 5)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:30:00.000000

An event (orientation, kickoff, training, meeting) is a row of group_sessions with its kind and
audience, so it shares the peer groups' seats, waitlist, busy quarter hours and calendar files. The
columns are added with plain ALTER TABLE ... ADD COLUMN: rebuilding group_sessions on SQLite would
drop the table and, with foreign keys on, cascade to its seats and busy slots.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'group_sessions',
        sa.Column('kind', sa.String(length=16), server_default='peer-group', nullable=False),
    )
    op.add_column('group_sessions', sa.Column('audience', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM group_sessions WHERE kind <> 'peer-group'")
    op.drop_column('group_sessions', 'audience')
    op.drop_column('group_sessions', 'kind')
