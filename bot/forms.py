"""A sent form, given to its dialog the way chat gives it: the form's start first (a click, or a command
with the answers put in), then each answer when the dialog asks the question it belongs to.

So a form is never a second implementation of a conversation: the dialog checks each answer as it
checks a typed one. If it refuses any (Turn.refuse), the whole form is refused with each reason by
field, and the engine rolls the turn back, so a form changes everything or nothing.
"""

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable

from bot.dialog import Turn
from bot.messages import FormAnswers, Reply

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{([a-z_:.\-]+)\}")
ERROR_LIMIT = 500  # characters of a reason shown beside a field
STEP_LIMIT = 100  # answers given in one form, at most: a form never loops a dialog forever

Route = Callable[[Turn], Awaitable[None]]


class FormRefused(Exception):
    """Some answers were refused: by step, why. Raised inside the turn's transaction to roll it back."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"{len(errors)} answers refused")
        self.errors = errors


async def fill(turn: Turn, form: FormAnswers, route: Route, dialog_names: Callable[[str], bool]) -> None:
    """Run the form's dialog with its answers; the replies left are those of the last answer given."""
    answers = dict(form.answers)
    start, used = _start_text(form.start, answers)
    first_step = used[-1] if used else None
    is_click = _is_click(start, dialog_names)
    await _give(turn, route, text="" if is_click else start, action=start if is_click else None, step=first_step)
    # A field left empty is not answered: the dialog asks that question in chat, where a file can go too.
    pending = {step: value for step, value in answers.items() if step not in used and value.strip()}
    follow_ups = dict(form.then)
    for _ in range(STEP_LIMIT):
        active = turn.active
        if active is None or active.step not in pending:
            break
        step = active.step
        await _answer(turn, route, step, pending.pop(step))
        if follow_ups.get(step) and turn.active is not None and turn.active.step == step:
            await _answer(turn, route, step, follow_ups[step])
    log.info("turn kind=form answers=%d", len(answers))


async def _answer(turn: Turn, route: Route, step: str, value: str) -> None:
    """Clicked when it is one of the buttons the question offers, else typed."""
    assert turn.active is not None
    offered = (turn.active.data.get("_choices") or {}).values()
    if value in offered:
        await _give(turn, route, text="", action=value, step=step)
    else:
        await _give(turn, route, text=value, action=None, step=step)


async def _give(turn: Turn, route: Route, *, text: str, action: str | None, step: str | None) -> None:
    """One answer, as if typed or clicked; refused (FormRefused) with the dialog's reason for it."""
    turn.inbound = dataclasses.replace(turn.inbound, text=text, action=action, is_command=False, form=None)
    turn.refused = None
    said = len(turn.replies)
    await route(turn)
    if turn.refused is not None:
        raise FormRefused({step or "": turn.refused[:ERROR_LIMIT]})
    del turn.replies[:said]  # what each earlier answer said ("Thank you: saved") is no news after a form


def _start_text(start: str, answers: dict[str, str]) -> tuple[str, list[str]]:
    """The start with `{step}` placeholders filled from the answers (one line each), and the steps used."""
    used: list[str] = []

    def fill_in(match: re.Match[str]) -> str:
        used.append(match.group(1))
        return " ".join(answers.get(match.group(1), "").split())

    return PLACEHOLDER.sub(fill_in, start), used


def _is_click(start: str, dialog_names: Callable[[str], bool]) -> bool:
    """A button value ("book:when|12|...") rather than a command ("announce ...")."""
    name, colon, _ = start.partition(":")
    return bool(colon) and " " not in name and dialog_names(name)


def refused_reply(errors: dict[str, str]) -> Reply:
    """The answer to a refused form: each reason by field; the adapter shows them beside the fields."""
    return Reply(text="I couldn't take the form: " + " ".join(errors.values()), field_errors=tuple(errors.items()))
