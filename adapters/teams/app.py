"""Teams wiring: the CloudAdapter behind POST /api/messages, the bot, the directory and the sender.

With MICROSOFT_APP_ID unset the endpoint is anonymous, as in Microsoft's samples for the Bot
Framework Emulator; then it answers loopback callers only, since an anonymous endpoint would let
anyone claim any identity.
"""

import ipaddress
import json
import logging
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ChannelAccount, ConversationReference

from adapters.teams import inbound
from adapters.teams.render import render
from bot.config import TeamsSettings
from bot.engine import Engine
from bot.messages import Inbound, Profile, Reply

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"


class TeamsDirectory:
    """Teams member look-up (email, name); the Emulator has none, so there a name with @ is the email."""

    def __init__(self, turn_context: TurnContext) -> None:
        self.turn_context = turn_context

    async def lookup(self, account_id: str) -> Profile | None:
        activity = self.turn_context.activity
        if activity.channel_id != "msteams":
            name = activity.from_property.name or ""
            return Profile(email=name if "@" in name else None, display_name=name.split("@")[0] or None)
        member = await TeamsInfo.get_member(self.turn_context, account_id)
        return Profile(email=member.email or member.user_principal_name, display_name=member.name)


class CoachingBot(ActivityHandler):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._handle(turn_context, inbound.from_message(turn_context.activity))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        """Greet a person who installed the bot, and remember how to reach them."""
        activity = turn_context.activity
        for member in members_added:
            if member.id == activity.recipient.id:
                continue
            await self._handle(
                turn_context,
                Inbound(
                    platform="teams",
                    account_id=member.id,
                    conversation_id=activity.conversation.id,
                    address=inbound.reference_of(activity),
                ),
            )

    async def _handle(self, turn_context: TurnContext, message: Inbound) -> None:
        replies = await self.engine.handle(message, TeamsDirectory(turn_context))
        for reply in replies:
            await turn_context.send_activity(render(reply))


class TeamsSender:
    """Writes first, with the ConversationReference stored when the person last wrote."""

    def __init__(self, adapter: CloudAdapter, app_id: str | None) -> None:
        self.adapter, self.app_id = adapter, app_id or ""

    async def send(self, conversation_ref: dict[str, Any], replies: Sequence[Reply]) -> None:
        reference = ConversationReference().deserialize(conversation_ref)

        async def deliver(turn_context: TurnContext) -> None:
            for reply in replies:
                await turn_context.send_activity(render(reply))

        await self.adapter.continue_conversation(reference, deliver, self.app_id)


def build_adapter(settings: TeamsSettings) -> CloudAdapter:
    configuration = SimpleNamespace(
        APP_ID=settings.app_id or "",
        APP_PASSWORD=settings.app_password or "",
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.tenant_id or "",
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))

    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("teams turn failed error=%s", type(error).__name__)
        await turn_context.send_activity(
            "Sorry, something went wrong on my side. Nothing was changed; please try again."
        )

    adapter.on_turn_error = on_error
    return adapter


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def messages_handler(adapter: CloudAdapter, bot: CoachingBot, settings: TeamsSettings) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not settings.app_id and not _is_loopback(request.remote):
            return web.Response(status=401, text="anonymous mode answers local callers only")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="send application/json")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="malformed JSON")
        if not isinstance(body, dict) or not body.get("type"):
            return web.Response(status=400, text="not a Bot Framework activity")
        try:
            Activity().deserialize(body)
        except Exception:  # msrest raises its own DeserializationError family
            return web.Response(status=400, text="not a Bot Framework activity")
        response = await adapter.process(request, bot)
        return response or web.Response(status=201)

    return handle


def add_routes(web_app: web.Application, settings: TeamsSettings, engine: Engine) -> TeamsSender:
    adapter = build_adapter(settings)
    web_app.router.add_post(MESSAGES_PATH, messages_handler(adapter, CoachingBot(engine), settings))
    return TeamsSender(adapter, settings.app_id)
