"""The App Home tab: bot/home.py's HomeView as a Block Kit `home` view, published with views.publish when a
person opens the tab and again after something changed for them.

Published again, in the background and never before the answer: after a turn of the person that may have
changed something (a click, or anything typed but a command that changes nothing), and when the outbox
delivered a message to them (a session someone booked with them). Only for people who have opened their
home at least once (accounts.home_opened_at), and at most once every REPUBLISH_GAP seconds per person: a
burst of changes is one publish, of the state after the last of them.

A click on the home's buttons goes through the same listener as a click in a message (the same action ids);
a view has no channel or response_url, so its answer goes to the person's DM with the assistant.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import inbound, payloads
from adapters.slack.answers import Answers, ImageUploads
from adapters.slack.render import reply_blocks
from bot import home, identity
from bot.engine import Engine
from bot.home import HomeView
from bot.messages import Inbound, Reply
from bot.outbox import DeliveryError

log = logging.getLogger(__name__)

VIEW_BLOCK_LIMIT = 100  # blocks in a home view (Slack's limit)
REPUBLISH_GAP = 3.0  # seconds: a person's home is published again at most this often
PLATFORM = "slack"


class SlackClients(Protocol):
    """Each workspace's bot (adapters/slack/workspaces.py): a client by token, and the one for an account."""

    def plain(self, token: str) -> AsyncWebClient: ...

    async def for_account(self, account_id: str, *, waits: bool = False) -> AsyncWebClient: ...


class Turns(Protocol):
    """What the listeners ask of the engine: one turn."""

    async def handle(self, inbound: Inbound, directory: identity.Directory) -> list[Reply]: ...


def home_view(view: HomeView) -> dict[str, Any]:
    """The view for views.publish: each section as a message's blocks would show it, dividers between, the
    buttons numbered through the whole view (action ids are unique in a view)."""
    blocks: list[dict[str, Any]] = []
    buttons_so_far = 0
    for section in view.sections:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(reply_blocks(section, buttons_so_far))
        buttons_so_far += len(section.buttons)
    return {"type": "home", "blocks": blocks[:VIEW_BLOCK_LIMIT]}


class HomeTab:
    """Publishes people's homes. `watching(engine)` is the engine the listeners use; `attach(app)` listens to
    app_home_opened; `soon(account)` publishes an account's home again in a moment, if it was opened."""

    def __init__(self, engine: Engine, uploads: ImageUploads) -> None:
        self.engine, self.uploads = engine, uploads
        self.clients: SlackClients | None = None
        self.directory_of: Callable[[AsyncBoltContext], identity.Directory] | None = None
        self.published: dict[str, float] = {}  # account -> time.monotonic() of its last publish
        self.waiting: set[str] = set()  # accounts whose publish is under way or put off

    def attach(
        self, app: AsyncApp, clients: SlackClients, directory_of: Callable[[AsyncBoltContext], identity.Directory]
    ) -> None:
        """Listen to app_home_opened on `app`; `clients` has each workspace's bot, `directory_of` a request's
        profile look-up (with its workspace's token)."""
        self.clients, self.directory_of = clients, directory_of
        app.event("app_home_opened")(self._on_opened)

    def watching(self, engine: Engine) -> Turns:
        return _Watching(engine, self)

    async def _on_opened(self, ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        event = body["event"]
        user = event.get("user")
        if event.get("tab") != "home" or not payloads.an_id(user) or self.clients is None or not self.directory_of:
            return  # the Messages tab, or not a person
        account = inbound.account_id(body.get("team_id"), user)
        opening = Inbound(platform=PLATFORM, account_id=account, conversation_id=user)
        client = self.clients.plain(str(context.token))
        self.uploads.hold(self._open(client, self.directory_of(context), opening))

    async def _open(self, client: AsyncWebClient, directory: identity.Directory, opening: Inbound) -> None:
        engine = self.engine
        view = await home.open_home(engine.db, engine.programs, opening, directory, engine.clock())
        self.published[opening.account_id] = time.monotonic()
        await _publish(client, opening.account_id, view)

    def soon(self, account: str) -> None:
        """Publish the account's home again after a change, in the background, unless one is already waiting
        (it will show this change too)."""
        if account in self.waiting or self.clients is None:
            return
        self.waiting.add(account)
        self.uploads.hold(self._republish(self.clients, account))

    async def _republish(self, clients: SlackClients, account: str) -> None:
        try:
            wait = self.published.get(account, float("-inf")) + REPUBLISH_GAP - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        finally:
            self.waiting.discard(account)  # a change from now on is not in what is read next: it waits again
        view = await home.refreshed_home(self.engine.db, self.engine.programs, PLATFORM, account, self.engine.clock())
        if view is None:
            return
        self.published[account] = time.monotonic()
        try:
            client = await clients.for_account(account)
        except DeliveryError as error:  # the workspace removed the app meanwhile
            log.info("slack home not published reason=%s", error.reason)
            return
        await _publish(client, account, view)

    async def answer_in_dm(self, answers: Answers, turn: Awaitable[list[Reply]], account: str) -> None:
        """A click on the home: the answer in the person's DM with the assistant (a view has no channel),
        and the home kept up to date from now on (they opened it, even if the click is what linked them)."""
        replies = await turn  # committed before anything is said
        try:
            opened = await answers.client.conversations_open(users=inbound.user_of(account))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.error("slack home answer failed error=%s code=%s", type(error).__name__, _code(error))
            return
        await answers.in_dm(_given(replies), str(opened["channel"]["id"]), None)
        await home.remember_opened(self.engine.db, PLATFORM, account, self.engine.clock())
        self.soon(account)


class _Watching:
    """The engine, with a click on a command button run as the command typed, and the person's home published
    again after a turn that may have changed it."""

    def __init__(self, engine: Engine, tab: HomeTab) -> None:
        self.engine, self.tab = engine, tab

    async def handle(self, message: Inbound, directory: identity.Directory) -> list[Reply]:
        message = home.as_typed(message)
        replies = await self.engine.handle(message, directory)
        if home.may_change(message, self.engine.registry):
            self.tab.soon(message.account_id)
        return replies


async def _publish(client: AsyncWebClient, account: str, view: HomeView) -> None:
    try:
        await client.views_publish(user_id=inbound.user_of(account), view=home_view(view))
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        log.error("slack home publish failed error=%s code=%s", type(error).__name__, _code(error))


async def _given(replies: list[Reply]) -> list[Reply]:
    return replies


def _code(error: BaseException) -> str | None:
    """Slack's error code of a failed call (never its text)."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else None
