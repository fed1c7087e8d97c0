"""data rights (issue 17): `my data` download links, and the stand-in that keeps a forgotten person's counts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 12:00:00.000000

A new table and a plain ADD COLUMN, so SQLite never rebuilds the persons table.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'data_export_links',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token'),
    )
    op.create_index(op.f('ix_data_export_links_person_id'), 'data_export_links', ['person_id'], unique=False)
    op.add_column('persons', sa.Column('forgotten_at', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('persons') as batch:
        batch.drop_column('forgotten_at')
    op.drop_index(op.f('ix_data_export_links_person_id'), table_name='data_export_links')
    op.drop_table('data_export_links')
