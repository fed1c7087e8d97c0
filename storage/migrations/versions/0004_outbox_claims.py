"""outbox claims: the claim's token, when a possibly delivered attempt began, and the account it went to

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:12:02
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sending_since", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbox_account", "accounts", ["account_id"], ["id"], ondelete="SET NULL")
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_due", ["status", "due_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_due", ["status", "due_at"], unique=False)
        batch_op.drop_constraint("fk_outbox_account", type_="foreignkey")
        batch_op.drop_column("account_id")
        batch_op.drop_column("sending_since")
        batch_op.drop_column("claimed_by")
