"""Replies as Block Kit: a header, mrkdwn sections, and buttons in actions blocks."""

from collections.abc import Sequence
from typing import Any

from adapters.slack.inbound import BUTTON_ACTION_PREFIX, FORM_ACTION_PREFIX
from bot.i18n import ngettext, speaking
from bot.messages import Image, Reply, written_in

SECTION_LIMIT = 3000  # characters in one section's text
BUTTONS_PER_BLOCK = 25
BLOCK_LIMIT = 50
ALT_TEXT_LIMIT = 1000  # characters of an uploaded image's alt_txt


def _pieces(line: str) -> list[str]:
    """A line longer than a section, cut at spaces where possible, so nothing of it is lost."""
    pieces = []
    while len(line) > SECTION_LIMIT:
        cut = line.rfind(" ", 0, SECTION_LIMIT)
        cut = cut if cut > 0 else SECTION_LIMIT
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    return [*pieces, line]


def _sections(text: str) -> list[dict[str, Any]]:
    chunks, current = [], ""
    for line in (piece for full_line in text.split("\n") for piece in _pieces(full_line)):
        if len(current) + len(line) + 1 > SECTION_LIMIT and current:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def reply_blocks(reply: Reply, first_button: int = 0) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": reply.title[:150]}})
    if reply.text:
        blocks.extend(_sections(reply.text))
    if reply.lines:
        blocks.extend(_sections("\n".join(f"• {line}" for line in reply.lines)))
    for start in range(0, len(reply.buttons), BUTTONS_PER_BLOCK):
        elements = []
        for offset, button in enumerate(reply.buttons[start : start + BUTTONS_PER_BLOCK]):
            prefix = FORM_ACTION_PREFIX if button.opens_form else BUTTON_ACTION_PREFIX
            element: dict[str, Any] = {
                "type": "button",
                "action_id": f"{prefix}{first_button + start + offset}",
                "text": {"type": "plain_text", "text": button.label[:75]},
                "value": button.value[:2000],
            }
            if button.style != "default":
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def images_of(replies: Sequence[Reply]) -> list[Image]:
    """The pictures a turn's replies carry: Slack gets them as uploaded files, after the message."""
    return [reply.image for reply in replies if reply.image is not None]


def images_in_dm_note(count: int) -> str:
    """Said where a picture cannot go (an ephemeral answer carries no file), so it went to the DM."""
    return ngettext(
        "The chart is in your direct messages with the assistant.",
        "The charts are in your direct messages with the assistant.",
        count,
    )


def images_not_shared_note(count: int) -> str:
    """Said when a chart could not be uploaded after its retries: the text answer stands on its own."""
    return ngettext(
        "I couldn't share the chart image just now; the figures above are complete. Type `report` again to retry.",
        "I couldn't share the chart images just now; the figures above are complete. Type `report` again to retry.",
        count,
    )


def render(replies: Sequence[Reply], *, images_in_dm: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """One Slack message for a turn's replies: fallback text and blocks (dividers between replies).

    `images_in_dm`: the replies' images are uploaded to the person's DM rather than beside this message
    (a slash command's ephemeral answer), so the message says where to find them."""
    blocks: list[dict[str, Any]] = []
    buttons_so_far = 0
    for reply in replies:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(reply_blocks(reply, buttons_so_far))
        buttons_so_far += len(reply.buttons)
    text = "\n\n".join(reply.plain_text() for reply in replies)[:SECTION_LIMIT]
    images = len(images_of(replies))
    if not (images_in_dm and images):
        return text, blocks[:BLOCK_LIMIT]
    with speaking(written_in(replies)):
        note = images_in_dm_note(images)
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    text = "\n\n".join(part for part in (text[: SECTION_LIMIT - len(note) - 2], note) if part)
    return text, [*blocks[: BLOCK_LIMIT - 1], context]
