"""What a card keeps of itself in its actions' data, so that a click or a refresh can be answered with the
card as it should look now: an invoke carries the clicked action's data, never the card.

Each Action.Execute carries one copy (the clicked one comes back), so the text kept is bounded: a card of
six buttons holds seven copies and Teams takes about 28 KB in a message. A copy arriving in an invoke is
read as untrusted input: a value of the wrong shape makes it absent, never an error.
"""

from dataclasses import dataclass
from typing import Any

from bot.messages import Button, Reply

CARD_KEY = "coaching_card"  # in an action's data: the card's question (ShownCard.data())
KEPT_TEXT = 1500  # characters of text and lines kept in each copy
CUT = "…"
STYLES = ("default", "primary", "danger")
OPENS_FORM = "form"  # a kept button's fourth part: it opens a dialog (render.py), after a refresh too


@dataclass(frozen=True)
class Asked:
    """The open question a card asks: a refresh shows it unchanged while it stays open for `user_id`."""

    dialog: str
    step: str
    user_id: str


@dataclass(frozen=True)
class ShownCard:
    reply: Reply  # title, text (as kept), lines and buttons
    asked: Asked | None = None

    def label_of(self, value: str) -> str | None:
        return next((button.label for button in self.reply.buttons if button.value == value), None)

    def data(self) -> dict[str, Any]:
        kept: dict[str, Any] = {
            "title": self.reply.title,
            "text": self.reply.text,
            "lines": list(self.reply.lines),
            "buttons": [
                [b.label, b.value, b.style, *([OPENS_FORM] if b.opens_form else [])] for b in self.reply.buttons
            ],
        }
        if self.asked is not None:
            kept["asked"] = [self.asked.dialog, self.asked.step, self.asked.user_id]
        return kept


def kept(reply: Reply, asked: Asked | None) -> ShownCard:
    """The card's reply with its text and lines cut to KEPT_TEXT characters between them."""
    budget = KEPT_TEXT
    text = reply.text if len(reply.text) <= budget else reply.text[: budget - 1] + CUT
    budget -= len(text)
    lines: list[str] = []
    for line in reply.lines:
        if len(line) > budget:
            lines.extend([CUT] if budget > 0 else [])
            break
        lines.append(line)
        budget -= len(line)
    short = Reply(text=text, title=reply.title, lines=tuple(lines), buttons=reply.buttons)
    return ShownCard(short, asked)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _button(value: Any) -> Button | None:
    if not (isinstance(value, list) and len(value) in (3, 4) and all(isinstance(part, str) for part in value)):
        return None
    label, button_value, style, *form = value
    opens_form = form == [OPENS_FORM]
    if style not in STYLES or (form and not opens_form):
        return None
    return Button(label, button_value, style, opens_form=opens_form)  # type: ignore[arg-type]


def _asked(value: Any) -> Asked | None:
    if isinstance(value, list) and len(value) == 3 and all(isinstance(part, str) and part for part in value):
        return Asked(*value)
    return None


def shown_card(data: Any) -> ShownCard | None:
    """The card an action's data describes; None when it carries none (an older card) or a malformed one."""
    kept_data = data.get(CARD_KEY) if isinstance(data, dict) else None
    if not isinstance(kept_data, dict):
        return None
    text, lines, buttons = _text(kept_data.get("text")), kept_data.get("lines"), kept_data.get("buttons")
    if text is None or not isinstance(lines, list) or not isinstance(buttons, list):
        return None
    parsed = [_button(button) for button in buttons]
    if any(button is None for button in parsed) or not all(isinstance(line, str) for line in lines):
        return None
    reply = Reply(
        text=text,
        title=_text(kept_data.get("title")),
        lines=tuple(lines),
        buttons=tuple(button for button in parsed if button is not None),
    )
    return ShownCard(reply, _asked(kept_data.get("asked")))
