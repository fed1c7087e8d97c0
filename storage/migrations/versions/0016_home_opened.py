"""the App Home (issue 16, point 2): when each account first opened the assistant's home tab

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 12:00:00.000000

A plain ADD COLUMN, so SQLite never rebuilds the accounts table.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('accounts', sa.Column('home_opened_at', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('home_opened_at')
