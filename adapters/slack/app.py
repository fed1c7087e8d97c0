"""Slack wiring: bolt listeners that hand an Inbound to the engine, and the aiohttp route.

process_before_response=True: bolt awaits our listener before it answers Slack, so a turn is committed
before Slack hears "ok" (bolt's fire-and-forget listeners would lose it in a crash). A turn that takes
longer than ANSWER_WITHIN is not cut short: Slack hears "ok" (a slash command "Working on it…") and the
answer follows when the turn ends (adapters/slack/answers.py). Charts are uploaded after the answer.
"""

import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import inbound, modals, payloads
from adapters.slack.answers import ANSWER_WITHIN, WORKING, Answers, ImageUploads, ended_within
from adapters.slack.clicks import ClickedMessages
from adapters.slack.home import HomeTab
from adapters.slack.oauth import watch_revocations
from adapters.slack.render import render
from adapters.slack.workspaces import NOT_INSTALLED, OneToken, SlackClients
from bot.config import SlackSettings
from bot.engine import Engine
from bot.messages import Profile, Reply
from bot.outbox import DeliveryError, retry_after_seconds

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SLOW_TURN = "slack turn slower than %.1f s: answered after the acknowledgement kind=%s"


class SlackDirectory:
    """users.info: email (needs the users:read.email scope), name, the profile's time zone and locale."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def lookup(self, account_id: str) -> Profile | None:
        response = await self.client.users_info(user=inbound.user_of(account_id), include_locale=True)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return Profile(
            email=profile.get("email"),
            display_name=user.get("real_name") or profile.get("real_name") or user.get("name"),
            timezone=user.get("tz"),
            locale=user.get("locale"),
        )


class SlackSender:
    """Writes first: conversations.open for the DM, then chat.postMessage carrying the outbox key in
    Slack's message metadata, so conversations.history can later say whether a message arrived. Each
    account's workspace has its own bot token (`clients`); `waits`: a person waits (the relay)."""

    def __init__(self, clients: SlackClients, *, waits: bool = False) -> None:
        self.clients, self.waits = clients, waits

    async def send(self, account_id: str, replies: Sequence[Reply], key: str | None) -> None:
        """Raises DeliveryError saying whether to retry, wait (429) or give up (account gone, app uninstalled)."""
        metadata = {"event_type": OUTBOX_EVENT, "event_payload": {"key": key}} if key else None
        client = await self.clients.for_account(account_id, waits=self.waits)
        try:
            channel = await _dm_of(client, account_id)
            text, blocks = render(replies)
            await client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)
        except SlackApiError as error:
            raise delivery_error(error) from None

    async def delivered(self, account_id: str, key: str, since: datetime) -> bool:
        """Whether the DM holds a message of ours carrying `key`, posted since `since`."""
        client = await self.clients.for_account(account_id)
        try:
            channel = await _dm_of(client, account_id)
            oldest = f"{since.timestamp() - CLOCK_SLACK:.6f}"
            cursor = None
            while True:
                page = await client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
                if any(_outbox_key(message) == key for message in page.get("messages") or []):
                    return True
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return False
        except SlackApiError as error:
            raise delivery_error(error) from None

    async def find_by_email(self, email: str) -> tuple[str, str | None]:
        """The Slack account ("TEAM:USER") and profile zone of a person who has never written to us
        (users.lookupByEmail, scope users:read.email), asked of each workspace in turn, the first installed
        first; users_not_found (in every one) is a permanent DeliveryError, app_not_installed too."""
        clients = await self.clients.everywhere()
        could_not_say: DeliveryError | None = None  # a workspace to ask again later (rate limit, 5xx)
        for client in clients:
            try:
                found = await client.users_lookupByEmail(email=email)
            except SlackApiError as error:
                failure = delivery_error(error)
                if not failure.permanent and failure.reason != "users_not_found":
                    could_not_say = failure
                continue
            user = found.get("user") or {}
            return inbound.account_id(user.get("team_id"), str(user["id"])), user.get("tz")
        if could_not_say is not None:
            raise could_not_say
        raise DeliveryError("users_not_found" if clients else NOT_INSTALLED, permanent=True)


async def _dm_of(client: AsyncWebClient, account_id: str) -> str:
    opened = await client.conversations_open(users=inbound.user_of(account_id))
    return str(opened["channel"]["id"])


OUTBOX_EVENT = "coaching_outbox"  # the metadata event type our proactive messages carry
CLOCK_SLACK = 60.0  # seconds of leeway between our clock and Slack's when reading history back


def _outbox_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != OUTBOX_EVENT:
        return None
    return (metadata.get("event_payload") or {}).get("key")


# Errors after which writing to the person again cannot succeed until someone acts.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "team_access_not_granted",
    }
)


def delivery_error(error: SlackApiError) -> DeliveryError:
    response = error.response
    code = str(response.get("error") or f"http_{response.status_code}")
    if response.status_code == 429 or code == "ratelimited":
        return DeliveryError("ratelimited", retry_after=retry_after_seconds(response.headers))
    return DeliveryError(code, permanent=code in PERMANENT_ERRORS)


def build_bolt_app(
    settings: SlackSettings,
    engine: Engine,
    session: aiohttp.ClientSession,
    uploads: ImageUploads | None = None,
    home_tab: HomeTab | None = None,
    clients: SlackClients | None = None,
    bolt_options: dict[str, Any] | None = None,
) -> AsyncApp:
    """`clients`: the bot token of each workspace; `bolt_options`: "Add to Slack" (adapters/slack/oauth.py)."""
    base_url = settings.api_url or AsyncWebClient.BASE_URL
    # bolt's client (with SLACK_BOT_TOKEN, or none: each request's token comes from the installation store)
    # and the profile look-up's never wait out a rate limit (the engine's 2 s timeout); `answers` do.
    client = AsyncWebClient(token=settings.bot_token, base_url=base_url, session=session)
    app = AsyncApp(
        client=client, signing_secret=settings.signing_secret, process_before_response=True, **(bolt_options or {})
    )
    watch_revocations(app, many_workspaces=bool(bolt_options))  # app_uninstalled, tokens_revoked
    uploads = uploads or ImageUploads()
    clients = clients or SlackClients(OneToken(str(settings.bot_token)), base_url, session)

    def speakers(context: AsyncBoltContext) -> tuple[SlackDirectory, Answers]:
        """The profile look-up and the answers of this request, with its workspace's token (bolt found it)."""
        token = str(context.token)
        return SlackDirectory(clients.plain(token)), Answers(clients.waiting(token), session, uploads)

    home_tab = home_tab or HomeTab(engine, uploads)
    # The App Home tab: published on app_home_opened and after changes.
    home_tab.attach(app, clients, lambda context: speakers(context)[0])
    turns = home_tab.watching(engine)
    modals.attach(app, turns, speakers)  # forms submitted in a modal

    @app.command(payloads.COMMAND)
    async def on_command(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        directory, answers = speakers(context)
        turn = uploads.hold(
            modals.Modals(answers).answered(body, turns.handle(inbound.from_slash_command(body), directory))
        )
        user, response_url = body["user_id"], body["response_url"]
        if not await ended_within(turn, ANSWER_WITHIN):
            await ack(text=WORKING, response_type="ephemeral")
            uploads.hold(answers.privately(turn, response_url, user))
            log.info(SLOW_TURN, ANSWER_WITHIN, "command")
            return
        replies = turn.result()
        # An ephemeral answer carries no file: its images go to the person's DM with the bot.
        text, blocks = render(replies, images_in_dm=True)
        await ack(text=text, blocks=blocks, response_type="ephemeral")
        answers.charts_in_dm(replies, response_url, user)

    @app.event("message")
    async def on_message(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        directory, answers = speakers(context)
        await ack()
        if not inbound.is_person_dm(body["event"]):
            return
        message = inbound.from_dm_event(body)
        work = answers.in_dm(turns.handle(message, directory), message.conversation_id, message.thread_id)
        if not await ended_within(uploads.hold(work), ANSWER_WITHIN):
            log.info(SLOW_TURN, ANSWER_WITHIN, "message")

    @app.action(re.compile(f"^{inbound.BUTTON_ACTION_PREFIX}"))
    async def on_click(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        directory, answers = speakers(context)
        await ack()
        click = inbound.from_block_action(body)
        if click is None:
            return
        # The message clicked loses its buttons, with the token of the workspace it is in.
        turn = ClickedMessages(answers).then(body, turns.handle(click, directory))
        turn = modals.Modals(answers).answered(body, turn)  # its form opened; kept in the DM if ephemeral
        if not body.get("response_url"):  # a click in the App Home: a view has no channel to answer in
            work = home_tab.answer_in_dm(answers, turn, click.account_id)
        elif (body.get("container") or {}).get("is_ephemeral", True):
            # A slash command's answer, in any channel or DM: only the clicker sees the next one.
            work = answers.privately(turn, body["response_url"], inbound.user_of(click.account_id))
        else:  # our own message in the bot's DM: answer with a lasting message there
            work = answers.in_dm(turn, click.conversation_id, None)
        if not await ended_within(uploads.hold(work), ANSWER_WITHIN):
            log.info(SLOW_TURN, ANSWER_WITHIN, "click")

    return app


def events_handler(app: AsyncApp, signing_secret: str) -> Any:
    """POST /slack/events: 401 unless Slack signed these very bytes in the last five minutes; 400 with the
    reason for a signed body that is not a payload or not shaped as Slack shapes its kind; 200 for a kind we
    leave alone; otherwise bolt's answer."""

    async def handle(request: web.Request) -> web.Response:
        if not payloads.fresh(request.headers, time.time()):
            return web.Response(status=401)
        raw = await request.read()  # aiohttp answers 413 past client_max_size (1 MiB)
        if not payloads.signed(raw, request.headers, signing_secret):
            log.info("slack request refused: bad signature")
            return web.Response(status=401)
        body = payloads.parse(raw, request.content_type)
        screened = payloads.screen(body) if isinstance(body, dict) else payloads.reject(body)
        if screened.verdict == "reject":
            log.warning("slack payload refused reason=%s", screened.reason)  # names a field, never its value
            return web.Response(status=400, text=screened.reason)
        if screened.verdict == "ignore":
            return web.Response(status=200)
        assert isinstance(body, dict)
        # Handed over parsed, as bolt's own Socket Mode adapter hands over envelopes: the signature is
        # checked above on the bytes, and bolt's reader would read the body again, its own way.
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers), mode="socket_mode"
        )
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


def add_routes(web_app: web.Application, app: AsyncApp, signing_secret: str) -> None:
    web_app.router.add_post(EVENTS_PATH, events_handler(app, signing_secret))
