"""Teams wiring: the CloudAdapter behind POST /api/messages, the bot, the directory and the sender.

With MICROSOFT_APP_ID unset the endpoint is anonymous, as in Microsoft's samples for the Bot
Framework Emulator; then it answers loopback callers only, since an anonymous endpoint would let
anyone claim any identity.
"""

import ipaddress
import json
import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ChannelAccount

from adapters.teams import inbound
from adapters.teams.render import render
from adapters.teams.sender import TeamsSender
from bot.config import TeamsSettings
from bot.engine import Engine
from bot.messages import Inbound, Profile

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"


class TeamsDirectory:
    """Teams member look-up (email, name). The Emulator has none, so there a name with @ is the email.

    Other Bot Framework channels (Web Chat, Direct Line) let the client choose its own name: they give
    no email, since trusting one would let anyone claim to be anyone.
    """

    def __init__(self, turn_context: TurnContext) -> None:
        self.turn_context = turn_context

    async def lookup(self, account_id: str) -> Profile | None:
        activity = self.turn_context.activity
        if activity.channel_id == "emulator":
            name = activity.from_property.name or ""
            return Profile(email=name if "@" in name else None, display_name=name.split("@")[0] or None)
        if activity.channel_id != "msteams":
            return Profile(email=None)
        member = await TeamsInfo.get_member(self.turn_context, account_id)
        return Profile(email=member.email or _email_like_upn(member.user_principal_name), display_name=member.name)


def _email_like_upn(upn: str | None) -> str | None:
    """A guest's UPN (`name_example.org#EXT#@tenant.onmicrosoft.com`) is not their email."""
    return upn if upn and "#EXT#" not in upn.upper() else None


class CoachingBot(ActivityHandler):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._handle(turn_context, inbound.from_message(turn_context.activity))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        """Greet a person who installed the bot, and remember how to reach them."""
        activity = turn_context.activity
        if not inbound.is_personal(activity):
            return  # someone joined a team or group chat: no greeting in front of everyone
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
        # The engine may have committed the turn before its answer failed: do not claim nothing changed.
        await turn_context.send_activity("Sorry, something went wrong on my side. Please try again in a moment.")

    adapter.on_turn_error = on_error
    return adapter


FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _is_local(request: web.Request) -> bool:
    """A caller on this machine, not relayed by a proxy or tunnel (which connects from loopback too)."""
    if request.remote is None or any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _is_routable(activity: Activity) -> bool:
    """The fields every turn needs to know who spoke and where to answer."""
    return bool(
        activity.service_url
        and activity.channel_id
        and activity.conversation
        and activity.conversation.id
        and activity.from_property
        and activity.from_property.id
        and activity.recipient
        and activity.recipient.id
    )


def messages_handler(adapter: CloudAdapter, bot: CoachingBot, settings: TeamsSettings) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not settings.app_id and not _is_local(request):
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
            activity = Activity().deserialize(body)
        except Exception:  # msrest raises its own DeserializationError family
            return web.Response(status=400, text="not a Bot Framework activity")
        if not _is_routable(activity):
            return web.Response(status=400, text="activity lacks who spoke or where to answer")
        response = await adapter.process(request, bot)
        return response or web.Response(status=201)

    return handle


def add_routes(web_app: web.Application, settings: TeamsSettings, engine: Engine) -> TeamsSender:
    adapter = build_adapter(settings)
    web_app.router.add_post(MESSAGES_PATH, messages_handler(adapter, CoachingBot(engine), settings))
    sender = TeamsSender(adapter, settings.app_id)
    web_app.on_cleanup.append(lambda _: sender.close())
    return sender
