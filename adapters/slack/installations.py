"""What "Add to Slack" keeps, in our own database: slack_sdk's AsyncInstallationStore (each workspace's
bot, and who installed it) and AsyncOAuthStateStore (the single-use `state` of an installation under way).

Tokens, refresh tokens and the incoming webhook's URL are encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256, from the `cryptography` package) under SLACK_TOKEN_KEY before they reach a row: a copy of
the database file or a backup holds no token in clear. SLACK_TOKEN_KEY may list several keys, newest
first: new rows are sealed with the first, and each of them opens old rows (a key is rotated by putting
the new one in front, and the old one is dropped once every workspace has installed again).
"""

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database, insert_or_merge
from storage.models import SlackInstaller, SlackOAuthState, SlackWorkspace

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)  # from "Add to Slack" to the redirect back, as bolt's default


class TokenCipher:
    """Seals a secret for a row and opens it again; a value no key opens reads as missing (and is logged
    once per read, by the column's name only)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str | None) -> str | None:
        return None if secret is None else self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str | None, column: str) -> str | None:
        if sealed is None:
            return None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.error("slack %s unreadable: SLACK_TOKEN_KEY no longer holds the key it was sealed with", column)
            return None


def workspace_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False) -> str:
    """One string per workspace ("ENTERPRISE:TEAM", "-" for none); an org-wide install is the org's."""
    team = None if is_enterprise_install else team_id
    return f"{enterprise_id or '-'}:{team or '-'}"


def _moment(value: Any) -> datetime | None:
    """slack_sdk's timestamps (epoch seconds, or a datetime) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _scopes(scopes: Sequence[str] | str | None) -> str | None:
    return scopes if isinstance(scopes, str) or scopes is None else ",".join(scopes)


class DatabaseInstallationStore(AsyncInstallationStore):
    """Installations in slack_workspaces (one bot per workspace, the latest install's) and slack_installers
    (one row per person who installed it, in each workspace)."""

    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self.db, self.cipher = db, cipher

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """Raises BoltError when the database refuses it: bolt then shows the installer a page saying so."""
        try:
            await self._save(installation)
        except SQLAlchemyError as error:
            log.error("slack installation not saved error=%s", type(error).__name__)
            raise BoltError("storage_error") from None

    async def _save(self, installation: Installation) -> None:
        workspace = workspace_key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        installer = {
            "workspace": workspace,
            "enterprise_url": installation.enterprise_url,
            "user_id": installation.user_id,
            "user_token": self.cipher.seal(installation.user_token),
            "user_scopes": _scopes(installation.user_scopes),
            "user_refresh_token": self.cipher.seal(installation.user_refresh_token),
            "user_token_expires_at": _moment(installation.user_token_expires_at),
            "incoming_webhook_url": self.cipher.seal(installation.incoming_webhook_url),
            "incoming_webhook_channel": installation.incoming_webhook_channel,
            "incoming_webhook_channel_id": installation.incoming_webhook_channel_id,
            "incoming_webhook_configuration_url": installation.incoming_webhook_configuration_url,
            "token_type": installation.token_type,
            "installed_at": _moment(installation.installed_at),
        }
        async with self.db.transaction() as session:
            upsert = insert_or_merge(session, SlackInstaller).values(**installer)
            changed = {name: value for name, value in installer.items() if name not in ("workspace", "user_id")}
            await session.execute(upsert.on_conflict_do_update(index_elements=["workspace", "user_id"], set_=changed))
        if installation.bot_token is not None:
            await self.async_save_bot(installation.to_bot())
        log.info("slack installation saved workspace=%s", workspace)

    async def async_save_bot(self, bot: Bot) -> None:
        row = {
            "workspace": workspace_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install),
            "enterprise_id": bot.enterprise_id,
            "enterprise_name": bot.enterprise_name,
            "team_id": bot.team_id,
            "team_name": bot.team_name,
            "is_enterprise_install": bool(bot.is_enterprise_install),
            "app_id": bot.app_id,
            "bot_id": bot.bot_id,
            "bot_user_id": bot.bot_user_id,
            "bot_scopes": _scopes(bot.bot_scopes),
            "bot_token": self.cipher.seal(bot.bot_token),
            "bot_refresh_token": self.cipher.seal(bot.bot_refresh_token),
            "bot_token_expires_at": _moment(bot.bot_token_expires_at),
            "installed_at": _moment(bot.installed_at),
        }
        async with self.db.transaction() as session:
            upsert = insert_or_merge(session, SlackWorkspace).values(**row)
            changed = {name: value for name, value in row.items() if name != "workspace"}
            await session.execute(upsert.on_conflict_do_update(index_elements=["workspace"], set_=changed))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        row = await self._workspace(workspace_key(enterprise_id, team_id, is_enterprise_install))
        return None if row is None else self._bot(row)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installation by `user_id`, or the workspace's latest, with the workspace's current bot."""
        workspace = workspace_key(enterprise_id, team_id, is_enterprise_install)
        query = select(SlackInstaller).where(SlackInstaller.workspace == workspace)
        if user_id is not None:
            query = query.where(SlackInstaller.user_id == user_id)
        query = query.order_by(SlackInstaller.installed_at.desc(), SlackInstaller.id.desc()).limit(1)
        async with self.db.reading() as session:
            installer = (await session.execute(query)).scalar_one_or_none()
        if installer is None:
            return None
        bot = await self._workspace(workspace)
        return self._installation(installer, bot)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        workspace = workspace_key(enterprise_id, team_id)
        async with self.db.transaction() as session:
            await session.execute(delete(SlackWorkspace).where(SlackWorkspace.workspace == workspace))
        log.info("slack bot removed workspace=%s", workspace)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        workspace = workspace_key(enterprise_id, team_id)
        query = delete(SlackInstaller).where(SlackInstaller.workspace == workspace)
        if user_id is not None:
            query = query.where(SlackInstaller.user_id == user_id)
        async with self.db.transaction() as session:
            await session.execute(query)
        log.info("slack installation removed workspace=%s one_person=%s", workspace, user_id is not None)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # What the adapter asks besides slack_sdk: the bot token to write to a person, and where to look them up

    async def bot_token(self, team_id: str | None) -> str | None:
        """The bot token of the workspace `team_id` (a Slack account's "TEAM:" part), None when the app is
        not installed there (never was, uninstalled, or its token revoked)."""
        row = await self._workspace(workspace_key(None, team_id))
        if row is None:  # an Enterprise Grid workspace: found by its team id whatever its org
            query = select(SlackWorkspace).where(SlackWorkspace.team_id == team_id).limit(1)
            async with self.db.reading() as session:
                row = (await session.execute(query)).scalar_one_or_none()
        return None if row is None else self.cipher.open(row.bot_token, "bot_token")

    async def teams(self) -> list[str | None]:
        """The team id of every workspace with a bot, the first installed first."""
        query = select(SlackWorkspace.team_id).order_by(SlackWorkspace.installed_at, SlackWorkspace.id)
        async with self.db.reading() as session:
            return list((await session.execute(query)).scalars())

    async def _workspace(self, workspace: str) -> SlackWorkspace | None:
        async with self.db.reading() as session:
            query = select(SlackWorkspace).where(SlackWorkspace.workspace == workspace)
            return (await session.execute(query)).scalar_one_or_none()

    def _bot(self, row: SlackWorkspace) -> Bot | None:
        token = self.cipher.open(row.bot_token, "bot_token")
        if token is None:
            return None
        return Bot(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            team_id=row.team_id,
            team_name=row.team_name,
            bot_token=token,
            bot_id=str(row.bot_id),
            bot_user_id=str(row.bot_user_id),
            bot_scopes=row.bot_scopes or "",
            bot_refresh_token=self.cipher.open(row.bot_refresh_token, "bot_refresh_token"),
            bot_token_expires_at=row.bot_token_expires_at,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )

    def _installation(self, installer: SlackInstaller, workspace: SlackWorkspace | None) -> Installation:
        bot = self._bot(workspace) if workspace is not None else None
        enterprise_id, _, team_id = installer.workspace.partition(":")
        return Installation(
            app_id=bot.app_id if bot else None,
            enterprise_id=None if enterprise_id == "-" else enterprise_id,
            enterprise_name=bot.enterprise_name if bot else None,
            enterprise_url=installer.enterprise_url,
            team_id=None if team_id == "-" else team_id,
            team_name=bot.team_name if bot else None,
            bot_token=bot.bot_token if bot else None,
            bot_id=bot.bot_id if bot else None,
            bot_user_id=bot.bot_user_id if bot else None,
            bot_scopes=bot.bot_scopes if bot else "",
            bot_refresh_token=bot.bot_refresh_token if bot else None,
            bot_token_expires_at=bot.bot_token_expires_at if bot else None,
            user_id=installer.user_id,
            user_token=self.cipher.open(installer.user_token, "user_token"),
            user_scopes=installer.user_scopes or "",
            user_refresh_token=self.cipher.open(installer.user_refresh_token, "user_refresh_token"),
            user_token_expires_at=installer.user_token_expires_at,
            incoming_webhook_url=self.cipher.open(installer.incoming_webhook_url, "incoming_webhook_url"),
            incoming_webhook_channel=installer.incoming_webhook_channel,
            incoming_webhook_channel_id=installer.incoming_webhook_channel_id,
            incoming_webhook_configuration_url=installer.incoming_webhook_configuration_url,
            is_enterprise_install=bot.is_enterprise_install if bot else False,
            token_type=installer.token_type,
            installed_at=installer.installed_at,
        )


class DatabaseStateStore(AsyncOAuthStateStore):
    """Each `state` is a random 256-bit value, good once, for STATE_LIFETIME: the redirect back takes it
    with one DELETE, so of two redirects with the same state (a replay, a double click) only one wins."""

    def __init__(self, db: Database, lifetime: timedelta = STATE_LIFETIME) -> None:
        self.db, self.lifetime = db, lifetime

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state, now = secrets.token_urlsafe(32), datetime.now(UTC)
        async with self.db.transaction() as session:
            await session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at <= now))
            session.add(SlackOAuthState(state=state, expires_at=now + self.lifetime))
        return state

    async def async_consume(self, state: str) -> bool:
        if not state or len(state) > 64:
            return False
        async with self.db.transaction() as session:
            taken = await session.execute(
                delete(SlackOAuthState).where(SlackOAuthState.state == state).returning(SlackOAuthState.expires_at)
            )
            expires_at = taken.scalar_one_or_none()
        return expires_at is not None and expires_at > datetime.now(UTC)
