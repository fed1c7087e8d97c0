"""events besides peer groups (issue 13, point 5)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
