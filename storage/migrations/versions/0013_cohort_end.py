"""the end of a cohort (issue 13, point 7): no schema change

A cohort's end needs no column: its pairs are marked with the columns they have (status "completed",
ended_at, end_reason "program_ended"), and the "cohort-end" job's row records that it ran.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
