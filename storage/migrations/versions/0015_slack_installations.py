"""Slack in many workspaces (issue 16, point 6): "Add to Slack" installations and OAuth states

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00.000000

slack_workspaces holds each workspace's bot, slack_installers the people who installed the app, and
slack_oauth_states the single-use `state` of each installation under way. Tokens are stored encrypted
(adapters/slack/installations.py): the columns hold Fernet ciphertext.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'slack_workspaces',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace', sa.String(length=80), nullable=False),
        sa.Column('enterprise_id', sa.String(length=32), nullable=True),
        sa.Column('enterprise_name', sa.String(length=200), nullable=True),
        sa.Column('team_id', sa.String(length=32), nullable=True),
        sa.Column('team_name', sa.String(length=200), nullable=True),
        sa.Column('is_enterprise_install', sa.Boolean(), nullable=False),
        sa.Column('app_id', sa.String(length=32), nullable=True),
        sa.Column('bot_id', sa.String(length=32), nullable=True),
        sa.Column('bot_user_id', sa.String(length=32), nullable=True),
        sa.Column('bot_scopes', sa.String(length=1000), nullable=True),
        sa.Column('bot_token', sa.String(length=1000), nullable=True),
        sa.Column('bot_refresh_token', sa.String(length=1000), nullable=True),
        sa.Column('bot_token_expires_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('installed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_slack_workspaces'),
        sa.UniqueConstraint('workspace', name='uq_slack_workspaces_workspace'),
    )
    op.create_table(
        'slack_installers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace', sa.String(length=80), nullable=False),
        sa.Column('enterprise_url', sa.String(length=200), nullable=True),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('user_token', sa.String(length=1000), nullable=True),
        sa.Column('user_scopes', sa.String(length=1000), nullable=True),
        sa.Column('user_refresh_token', sa.String(length=1000), nullable=True),
        sa.Column('user_token_expires_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('incoming_webhook_url', sa.String(length=1000), nullable=True),
        sa.Column('incoming_webhook_channel', sa.String(length=200), nullable=True),
        sa.Column('incoming_webhook_channel_id', sa.String(length=32), nullable=True),
        sa.Column('incoming_webhook_configuration_url', sa.String(length=200), nullable=True),
        sa.Column('token_type', sa.String(length=32), nullable=True),
        sa.Column('installed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_slack_installers'),
        sa.UniqueConstraint('workspace', 'user_id', name='uq_slack_installers_workspace_user'),
    )
    op.create_table(
        'slack_oauth_states',
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('state', name='pk_slack_oauth_states'),
    )
    op.create_index('ix_slack_oauth_states_expires_at', 'slack_oauth_states', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_slack_oauth_states_expires_at', table_name='slack_oauth_states')
    op.drop_table('slack_oauth_states')
    op.drop_table('slack_installers')
    op.drop_table('slack_workspaces')
