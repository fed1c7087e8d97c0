"""resources

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 15:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('career_stages', sa.JSON(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['persons.id'], name='fk_resources_added_by', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['persons.id'], name='fk_resources_updated_by', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_resources'),
    sa.UniqueConstraint('program_id', 'number', name='uq_resources_program_number'),
    sa.UniqueConstraint('program_id', 'url', name='uq_resources_program_url')
    )


def downgrade() -> None:
    op.drop_table('resources')
