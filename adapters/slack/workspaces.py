"""Which bot token a Slack call goes with: the one SLACK_BOT_TOKEN for every call (one workspace), or each
workspace's own, from the installation store ("Add to Slack", many workspaces).

During a request bolt has already found the workspace's token (its authorize step, from the store); the
listeners take it from bolt's context. Outside a request (the outbox, the relay, a shared file's bytes)
the token is looked up by the team of the person's account ("TEAM:USER") at each use, so a workspace that
uninstalled the app is never written to again: such a send fails for good, as `app_not_installed`.

One client per token is kept (a client holds no connection of its own: every client shares the server's
one aiohttp session).
"""

from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.answers import turn_retry_handlers
from bot.outbox import DeliveryError

NOT_INSTALLED = "app_not_installed"  # the outbox's reason when the person's workspace has no bot any more


class BotTokens(Protocol):
    async def bot_token(self, team_id: str | None) -> str | None: ...

    async def teams(self) -> list[str | None]: ...


class OneToken:
    """SLACK_BOT_TOKEN: the same token whatever the team."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def bot_token(self, team_id: str | None) -> str | None:
        return self.token

    async def teams(self) -> list[str | None]:
        return [None]


class SlackClients:
    """Web API clients by token: `plain` ones never wait (the outbox keeps its own pace; a profile look-up
    runs inside the engine's time limit), `waiting` ones wait out a 429 and retry a dropped connection
    (someone is waiting for the answer: adapters/slack/answers.py)."""

    SLACK_API = AsyncWebClient.BASE_URL

    def __init__(self, tokens: BotTokens, base_url: str, session: aiohttp.ClientSession) -> None:
        self.tokens, self.base_url, self.session = tokens, base_url, session
        self._plain: dict[str, AsyncWebClient] = {}
        self._waiting: dict[str, AsyncWebClient] = {}

    def plain(self, token: str) -> AsyncWebClient:
        return self._kept(self._plain, token, lambda: None)

    def waiting(self, token: str) -> AsyncWebClient:
        return self._kept(self._waiting, token, turn_retry_handlers)

    def _kept(self, kept: dict[str, AsyncWebClient], token: str, retries: Callable[[], Any]) -> AsyncWebClient:
        client = kept.get(token)
        if client is None:
            handlers = retries()
            client = AsyncWebClient(token=token, base_url=self.base_url, session=self.session, retry_handlers=handlers)
            kept[token] = client
        return client

    async def token_for(self, account_id: str) -> str:
        """The bot token to write to a Slack account; DeliveryError(app_not_installed, permanent) when its
        workspace has no bot."""
        token = await self.tokens.bot_token(team_of(account_id))
        if token is None:
            raise DeliveryError(NOT_INSTALLED, permanent=True)
        return token

    async def for_account(self, account_id: str, *, waits: bool = False) -> AsyncWebClient:
        token = await self.token_for(account_id)
        return self.waiting(token) if waits else self.plain(token)

    async def everywhere(self) -> list[AsyncWebClient]:
        """A plain client for each workspace with a bot, the first installed first."""
        found = []
        for team in await self.tokens.teams():
            token = await self.tokens.bot_token(team)
            if token is not None:
                found.append(self.plain(token))
        return found


def team_of(account_id: str) -> str | None:
    team = account_id.split(":", 1)[0]
    return None if team in ("", "-") else team
