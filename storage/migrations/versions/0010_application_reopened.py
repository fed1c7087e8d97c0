"""an application reopened past its call's deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('applications', sa.Column('reopened_until', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('applications', 'reopened_until')
