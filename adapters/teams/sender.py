"""Writing first on Teams: a message to a person in the conversation their stored ConversationReference
names (the outbox's and the relay's way to them).

CloudAdapter.continue_conversation builds a new ConnectorClient, with new credentials, for every call
(process_proactive: create_connector_factory(claims).create(service_url, audience)), so each message paid
for msrest's pipeline set-up and, with an app id, for a token. Here the same factory makes one client per
service URL, the first time that URL is written to, and each message is one send_to_conversation on it:
its HTTP session and its credentials' token cache serve every later message.
"""

import logging
from collections.abc import Sequence
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import HttpOperationError

from adapters.teams.render import render
from bot.messages import Reply
from bot.outbox import DeliveryError, retry_after_seconds

log = logging.getLogger(__name__)


class TeamsSender:
    """Writes first, with the ConversationReference stored when the person last wrote."""

    def __init__(self, adapter: CloudAdapter, app_id: str | None) -> None:
        self.app_id = app_id or ""  # empty: anonymous, for the Emulator and the tests' fake connector
        claims = adapter.create_claims_identity(self.app_id)
        self.factory = adapter.bot_framework_authentication.create_connector_factory(claims)
        self.clients: dict[str, ConnectorClient] = {}  # by service URL: a handful (Teams' regions)

    async def send(self, conversation_ref: dict[str, Any], replies: Sequence[Reply]) -> None:
        """Raises DeliveryError saying whether to retry, wait (429) or give up (bot blocked)."""
        reference = ConversationReference().deserialize(conversation_ref)
        # The stored reference names the message the person last sent; writing first is a new message in
        # the conversation (POST .../activities), not a reply to that one.
        reference.activity_id = None
        try:
            client = await self.client_for(reference.service_url)
            for reply in replies:
                activity = TurnContext.apply_conversation_reference(render(reply), reference)
                activity.input_hint = activity.input_hint or "acceptingInput"  # as TurnContext.send_activity
                await client.conversations.send_to_conversation(reference.conversation.id, activity)
        except HttpOperationError as error:
            raise delivery_error(error) from None
        except Exception as error:  # a dropped connection, a bad reference: the caller decides what it means
            raise DeliveryError(type(error).__name__) from None

    async def close(self) -> None:
        """Close the clients' HTTP sessions (at shutdown)."""
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            try:
                await client.__aexit__(None, None, None)
            except Exception as error:  # closing is best effort: the process is ending
                log.warning("teams: closing a connector client failed error=%s", type(error).__name__)

    async def client_for(self, service_url: str) -> ConnectorClient:
        """The connector client for `service_url`, made the first time it is written to."""
        client = self.clients.get(service_url)
        if client is None:
            client = self.clients.setdefault(service_url, await self.factory.create(service_url, None))
        return client


def delivery_error(error: HttpOperationError) -> DeliveryError:
    """403: the person blocked or removed the bot; 404: the conversation is gone; 429: wait as told;
    412, 5xx and the rest: try again later (botbuilder has no retry of its own)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status", None) or getattr(response, "status_code", None) or 0
    if status == 429:
        return DeliveryError("http_429", retry_after=retry_after_seconds(getattr(response, "headers", None)))
    if status in (401, 403, 404):
        reason = {401: "unauthorized", 403: "bot blocked or removed", 404: "conversation not found"}[status]
        return DeliveryError(reason, permanent=True)
    return DeliveryError(f"http_{status}")
