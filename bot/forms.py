"""A sent form, given to its dialog the way chat gives it: the form's start first (a button value, with
the answers put in for its `{step}` placeholders), then each answer when the dialog asks the question it
belongs to: clicked when it is one of the buttons that question offers, typed otherwise.

So a form is never a second implementation of a conversation: the dialog checks each answer as it
checks a typed one. If it refuses any (Turn.refuse), the whole form is refused with each reason by
field, and the engine rolls the turn back, so a form changes everything or nothing. A typed answer goes
to the dialog itself, never through the command parser: an announcement that starts "cancel" is text.
"""

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable

from bot.dialog import Dialog, Turn
from bot.i18n import _
from bot.messages import FormAnswers, Reply

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{([a-z_:.\-]+)\}")
ERROR_LIMIT = 500  # characters of a reason shown beside a field
STEP_LIMIT = 100  # answers given in one form, at most: a form never loops a dialog forever

Click = Callable[[Turn, str], Awaitable[None]]  # the engine's click: its role checks and stale answers


class FormRefused(Exception):
    """Some answers were refused: by step, why. Raised inside the turn's transaction to roll it back."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"{len(errors)} answers refused")
        self.errors = errors


async def fill(turn: Turn, form: FormAnswers, click: Click, dialog_of: Callable[[str], Dialog | None]) -> None:
    """Run the form's dialog with its answers; the replies left are those of the last answer given."""
    answers = dict(form.answers)
    start, used = _start_value(form.start, answers)
    await _give(turn, click, dialog_of, used[-1] if used else None, start, as_click=True)
    # A field left empty is not answered: the dialog asks that question in chat, where a file can go too.
    pending = {step: value for step, value in answers.items() if step not in used and value.strip()}
    follow_ups = dict(form.then)
    for _step in range(STEP_LIMIT):
        active = turn.active
        if active is None or active.step not in pending:
            break
        step = active.step
        await _answer(turn, click, dialog_of, step, pending.pop(step))
        if follow_ups.get(step) and turn.active is not None and turn.active.step == step:
            await _answer(turn, click, dialog_of, step, follow_ups[step])
    if not turn.replies:  # the last answer was taken without a word: the form still gets an answer
        turn.say(_("Thank you: your answers are saved."))
    log.info("turn kind=form answers=%d", len(answers))


async def _answer(turn: Turn, click: Click, dialog_of: Callable[[str], Dialog | None], step: str, value: str) -> None:
    assert turn.active is not None
    offered = (turn.active.data.get("_choices") or {}).values()
    await _give(turn, click, dialog_of, step, value, as_click=value in offered)


async def _give(
    turn: Turn, click: Click, dialog_of: Callable[[str], Dialog | None], step: str | None, value: str, *, as_click: bool
) -> None:
    """One answer, clicked or typed; refused (FormRefused) with the dialog's reason for it."""
    # The inbound keeps its form: a dialog may word a refusal for a form (nothing to copy back from chat).
    turn.inbound = dataclasses.replace(
        turn.inbound, text="" if as_click else value, action=value if as_click else None, is_command=False
    )
    turn.refused = None
    said = len(turn.replies)
    dialog = dialog_of(turn.active.dialog) if turn.active is not None else None
    if as_click:
        await click(turn, value)
    elif dialog is not None:
        await dialog.on_text(turn, value)
    if turn.refused is not None:
        raise FormRefused({step or "": turn.refused[:ERROR_LIMIT]})
    del turn.replies[:said]  # what each earlier answer said ("Thank you: saved") is no news after a form


def _start_value(start: str, answers: dict[str, str]) -> tuple[str, list[str]]:
    """The start with `{step}` placeholders filled from the answers (one line each), and the steps used."""
    used: list[str] = []

    def fill_in(match: re.Match[str]) -> str:
        used.append(match.group(1))
        return " ".join(answers.get(match.group(1), "").split())

    return PLACEHOLDER.sub(fill_in, start), used


def refused_reply(errors: dict[str, str]) -> Reply:
    """The answer to a refused form: each reason by field; the adapter shows them beside the fields."""
    text = _("I couldn't take the form: {reasons}").format(reasons=" ".join(errors.values()))
    return Reply(text=text, field_errors=tuple(errors.items()))
