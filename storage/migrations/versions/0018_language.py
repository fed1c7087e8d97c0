"""English and Khmer (issue 18): the language each person reads, and whether they chose it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 16:00:00.000000

Plain ADD COLUMNs with defaults, so SQLite never rebuilds the persons table.
"""

from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
    op.add_column("persons", sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("language_chosen")
        batch.drop_column("language")
