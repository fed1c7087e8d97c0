"""Replies as Teams messages: markdown text, or an Adaptive Card with Action.Submit buttons; a picture
goes with them as an inline image attachment."""

import base64
import re
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment, AttachmentLayoutTypes

from adapters.teams.file_consent import attach_offer
from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY
from bot.messages import Image, Reply

MAX_CARD_BUTTONS = 6  # beyond this Teams hides actions; a drop-down list fits any number
BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")


def markdown(text: str) -> str:
    """Our text marks bold Slack-style (*bold*); Teams markdown wants **bold**."""
    return BOLD.sub(r"**\1**", text)


def _text_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "TextBlock", "text": reply.title, "weight": "Bolder", "size": "Medium", "wrap": True})
    if reply.text:
        blocks.append({"type": "TextBlock", "text": markdown(reply.text), "wrap": True})
    if reply.lines:
        blocks.append(
            {"type": "TextBlock", "text": "\n".join(f"- {markdown(line)}" for line in reply.lines), "wrap": True}
        )
    return blocks


def card(reply: Reply) -> dict[str, Any]:
    body = _text_blocks(reply)
    if len(reply.buttons) <= MAX_CARD_BUTTONS:
        actions = [{"type": "Action.Submit", "title": b.label, "data": {ACTION_KEY: b.value}} for b in reply.buttons]
    else:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": CHOICE_KEY,
                "style": "compact",
                "value": reply.buttons[0].value,
                "choices": [{"title": b.label, "value": b.value} for b in reply.buttons],
            }
        )
        actions = [{"type": "Action.Submit", "title": "Send"}]
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }


def image_attachment(image: Image) -> Attachment:
    """An inline image: Teams shows an image/* attachment as a picture, and a base64 data URI needs no
    hosting (the chart exists only in this process). bot.charts keeps charts small enough to travel so."""
    encoded = base64.b64encode(image.data).decode("ascii")
    return Attachment(content_type="image/png", content_url=f"data:image/png;base64,{encoded}", name=image.name)


def render(reply: Reply) -> Activity:
    if not reply.buttons:
        parts = [f"**{reply.title}**"] if reply.title else []
        parts += [markdown(reply.text)] if reply.text else []
        parts += [f"- {markdown(line)}" for line in reply.lines]
        activity = MessageFactory.text("\n\n".join(parts))
        activity.text_format = "markdown"
    else:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card(reply)))
    if reply.image is not None:
        # The picture rides in the same activity as the text or card it illustrates, not in one of its own:
        # Teams shows a message's text with its image attachment under it (one message, one notification),
        # and a card then the image stacked in list layout; and one send cannot deliver half a reply.
        activity.attachments = [*(activity.attachments or []), image_attachment(reply.image)]
        activity.attachment_layout = AttachmentLayoutTypes.list
    attach_offer(activity, reply.file)
    return activity
