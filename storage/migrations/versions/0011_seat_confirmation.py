"""seat confirmation (issue 13, point 6)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


COLUMNS = ('confirm_by', 'confirmed_at', 'confirm_reminded_at')


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column('applications', sa.Column(name, storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('applications') as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
