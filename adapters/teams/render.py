"""Replies as Teams messages: markdown text, or an Adaptive Card with Action.Submit buttons."""

import re
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY
from bot.messages import Reply

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


def render(reply: Reply) -> Activity:
    if not reply.buttons:
        parts = [f"**{reply.title}**"] if reply.title else []
        parts += [markdown(reply.text)] if reply.text else []
        parts += [f"- {markdown(line)}" for line in reply.lines]
        activity = MessageFactory.text("\n\n".join(parts))
        activity.text_format = "markdown"
        return activity
    return MessageFactory.attachment(CardFactory.adaptive_card(card(reply)))
