"""Teams wiring: the CloudAdapter behind POST /api/messages, the bot, the directory and the sender.

With MICROSOFT_APP_ID unset the endpoint is anonymous, as in Microsoft's samples for the Bot
Framework Emulator; then it answers loopback callers only, since an anonymous endpoint would let
anyone claim any identity.
"""

import ipaddress
import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ChannelAccount
from botframework.connector.auth import AuthenticateRequestResult
from msrest.serialization import Model

from adapters.teams import card_actions, inbound, task_modules
from adapters.teams.directory import TeamsDirectory
from adapters.teams.file_consent import INVOKE_NAME as FILE_CONSENT
from adapters.teams.file_consent import answer_consent
from adapters.teams.invokes import Invokes
from adapters.teams.sender import TeamsSender
from adapters.teams.turn_failure import on_turn_error
from adapters.teams.validate import TOO_LARGE, InvalidActivity, parse_activity
from bot.config import TeamsSettings
from bot.engine import Engine
from bot.messages import Inbound

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"


class CoachingBot(ActivityHandler):
    def __init__(self, engine: Engine, invokes: Invokes | None = None) -> None:
        self.engine = engine
        self.invokes = invokes or Invokes()

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._handle(turn_context, inbound.from_message(turn_context.activity))
        await card_actions.replace_submitted_card(turn_context)  # an older card's Action.Submit click

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
                    locale=activity.locale,  # the greeting in their Teams client's language
                ),
            )

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Each invoke we ask for is answered by its module (adapters/teams/invokes.py); any other gets a
        plain 400, where botbuilder would answer 501 or fail serialising its own error."""
        return await self.invokes.answer(turn_context, self.engine)

    async def _handle(self, turn_context: TurnContext, message: Inbound) -> None:
        replies = await self.engine.handle(message, TeamsDirectory(turn_context))
        await card_actions.send_replies(turn_context, self.engine, message, replies)


def build_adapter(settings: TeamsSettings) -> CloudAdapter:
    configuration = SimpleNamespace(
        APP_ID=settings.app_id or "",
        APP_PASSWORD=settings.app_password or "",
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.tenant_id or "",
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
    adapter.on_turn_error = on_turn_error
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


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # past aiohttp's client_max_size; validate.py has a lower bound
        raise InvalidActivity(TOO_LARGE) from None


async def _authenticate(
    adapter: CloudAdapter, activity: Activity, auth_header: str
) -> AuthenticateRequestResult | None:
    """botbuilder's check of the bearer token (or of its absence in anonymous mode); None when refused."""
    try:
        return await adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
    except PermissionError:  # botbuilder's "not authorized" (an OSError, like requests' errors below)
        log.info("teams token refused error=PermissionError")
    except OSError as error:  # requests' errors: Microsoft's signing keys could not be fetched
        log.warning("teams token keys unreachable error=%s", type(error).__name__)
    except Exception as error:  # PyJWT's errors, and the KeyError or IndexError botbuilder raises for a
        log.info("teams token refused error=%s", type(error).__name__)  # claim or key it assumed was there
    return None


async def _run_turn(
    adapter: CloudAdapter, bot: CoachingBot, authenticated: AuthenticateRequestResult, activity: Activity
) -> web.Response:
    """The turn through botbuilder's pipeline; 202 when it ended in an exception. The engine answers its own
    faults, so that is an answer that could not be delivered after the engine committed the turn (or a
    fault of this adapter, logged at ERROR); a 5xx would have the channel report a failure, or retry a
    turn that already happened."""
    failures: list[Exception] = []

    async def turn(turn_context: TurnContext) -> None:
        try:
            await bot.on_turn(turn_context)
        except Exception as error:
            failures.append(error)
            await on_turn_error(turn_context, error)

    invoke_response = await adapter.process_activity(authenticated, activity, turn)
    if failures:
        return web.Response(status=202, text="activity taken; its answer could not be delivered")
    if invoke_response is not None:
        return web.json_response(_json_of(invoke_response.body), status=invoke_response.status)
    return web.Response(status=201)


def _json_of(body: Any) -> Any:
    """An invoke's body; botbuilder's own serializer_helper fails on the plain dict an expectReplies
    delivery puts there."""
    return serializer_helper(body) if isinstance(body, Model) else body


def messages_handler(adapter: CloudAdapter, bot: CoachingBot, settings: TeamsSettings) -> Any:
    """Refuses before botbuilder sees anything it would fail on: 401 for a caller or token it cannot
    trust, 415 for a body that is not JSON, 400 for one that is no activity we take (validate.py)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if not settings.app_id and not _is_local(request):
            return web.Response(status=401, text="anonymous mode answers local callers only")
        auth_header = request.headers.get("Authorization", "")
        if settings.app_id and not auth_header.startswith("Bearer "):
            return web.Response(status=401, text="a Bot Framework bearer token is required")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="send application/json")
        try:
            activity = parse_activity(await _read_body(request), allow_loopback_http=not settings.app_id)
        except InvalidActivity as refused:
            return web.Response(status=400, text=str(refused))
        # The token is checked against the activity (its serviceUrl claim, the channel's endorsements),
        # so only once the activity is known to be one.
        authenticated = await _authenticate(adapter, activity, auth_header)
        if authenticated is None:
            return web.Response(status=401, text="the bearer token is not valid for this bot")
        return await _run_turn(adapter, bot, authenticated, activity)

    return handle


def add_routes(web_app: web.Application, settings: TeamsSettings, engine: Engine) -> TeamsSender:
    adapter = build_adapter(settings)
    invokes = Invokes()
    invokes.add(card_actions.INVOKE_NAME, card_actions.on_card_action)
    invokes.add(FILE_CONSENT, answer_consent)
    invokes.add(task_modules.FETCH, task_modules.on_fetch)
    invokes.add(task_modules.SUBMIT, task_modules.on_submit)
    web_app.router.add_post(MESSAGES_PATH, messages_handler(adapter, CoachingBot(engine, invokes), settings))
    sender = TeamsSender(adapter, settings.app_id)
    web_app.on_cleanup.append(lambda _: sender.close())
    return sender
