"""After a click, the clicked message shows the choice made and loses its buttons: our own message in the
bot's DM through chat.update, a slash command's ephemeral answer through its response_url
(replace_original). One click answers the whole message: a list of free times loses all its buttons.

The change goes on beside the turn, never before Slack's acknowledgement, and the answer waits for it only
briefly (so the choice shows above the answer); a failed change is logged by its type and Slack's code,
and the answer goes out all the same.
"""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.answers import Answers, turn_retry_handlers
from adapters.slack.inbound import FORM_ACTION_PREFIX
from bot.i18n import N_, _
from bot.messages import Reply

log = logging.getLogger(__name__)

# Shown beside the turn, before the person is known: the label is in their language; "Answered" is English.
CHOSEN = N_("✓ {label}")
ANSWERED = N_("Answered")
UPDATE_FIRST_WITHIN = 2.0  # seconds the answer waits for the clicked message to change, at most
LABEL_LIMIT = 75  # characters of a button's label, as Slack allows them


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters, so a label is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clicked_label(body: dict[str, Any]) -> str:
    """The label of the clicked button (`actions[0].text.text`), or a plain word when it is missing."""
    text = body["actions"][0].get("text")
    label = text.get("text") if isinstance(text, dict) else None
    return label[:LABEL_LIMIT] if isinstance(label, str) and label.strip() else _(ANSWERED)


def chosen_context(label: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _(CHOSEN).format(label=escape_mrkdwn(label))}]}


def without_buttons(blocks: list[Any], label: str) -> list[dict[str, Any]]:
    """The message's blocks with its buttons gone: the first actions block becomes "✓ label", the others
    go. A message that had no actions block (an odd payload) gets the line at its end."""
    changed: list[dict[str, Any]] = []
    chosen = chosen_context(label)
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") != "actions":
            changed.append(block)
        elif chosen not in changed:
            changed.append(chosen)
    return changed if chosen in changed else [*changed, chosen]


def _shown_message(body: dict[str, Any]) -> dict[str, Any]:
    """The clicked message as the payload carries it; Slack leaves it out for an ephemeral message."""
    message = body.get("message")
    return message if isinstance(message, dict) else {}


def changed_message(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks of the clicked message after the click."""
    label = clicked_label(body)
    message = _shown_message(body)
    blocks = message.get("blocks")
    text = message.get("text")
    changed = without_buttons(blocks if isinstance(blocks, list) else [], label)
    return (text if isinstance(text, str) and text else _(CHOSEN).format(label=label)), changed


def _opens_form(body: dict[str, Any]) -> bool:
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return str(action.get("action_id", "")).startswith(FORM_ACTION_PREFIX)


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral", True))


def _where(body: dict[str, Any]) -> tuple[str, str] | None:
    """The channel and ts of our DM message that was clicked; None when the payload does not say."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or _shown_message(body).get("ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) and channel and ts else None


class ClickedMessages:
    """Changes the message a person clicked, beside the turn that answers the click."""

    def __init__(self, answers: Answers) -> None:
        self.client: AsyncWebClient = answers.client
        self.session = answers.session
        self.uploads = answers.uploads

    def then(self, body: dict[str, Any], turn: Awaitable[list[Reply]]) -> Awaitable[list[Reply]]:
        """Start changing the clicked message now; the turn's replies, once it changed (or a moment)."""
        changing = self.uploads.hold(self.change(body))
        return self._after(changing, turn)

    @staticmethod
    async def _after(changing: asyncio.Task[None], turn: Awaitable[list[Reply]]) -> list[Reply]:
        replies = await turn
        await asyncio.wait({changing}, timeout=UPDATE_FIRST_WITHIN)
        return replies

    async def change(self, body: dict[str, Any]) -> None:
        if (body.get("container") or {}).get("type") != "message":
            return  # a click in a view (the App Home) changes no message
        if _opens_form(body):
            return  # the form may be closed unsent: its question stays answerable in chat
        text, blocks = changed_message(body)
        try:
            if _is_ephemeral(body):
                await self._replace(str(body.get("response_url") or ""), text, blocks)
                return
            where = _where(body)
            if where is None:
                log.warning("slack clicked message not changed reason=no-channel-or-ts")
                return
            await self.client.chat_update(channel=where[0], ts=where[1], text=text, blocks=blocks)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else None
            log.warning("slack clicked message not changed error=%s code=%s", type(error).__name__, code)

    async def _replace(self, response_url: str, text: str, blocks: list[dict[str, Any]]) -> None:
        webhook = AsyncWebhookClient(response_url, session=self.session, retry_handlers=turn_retry_handlers())
        sent = await webhook.send(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        if sent.status_code != 200:
            log.warning("slack clicked message not changed status=%d", sent.status_code)
