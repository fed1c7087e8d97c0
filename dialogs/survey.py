"""Answering a survey: one question at a time, optional ones skippable, stop any time and carry on later.

The invitation comes from the scheduler (bot/surveys.py); `survey` lists the person's open surveys and
continues where they stopped. Each answer is stored at once with no link to the person (bot/surveys.py
record_answer); only the invitation's count of questions passed moves on. A multiple-choice question keeps
the options ticked so far in its buttons, not in the database.
"""

from datetime import date

from sqlalchemy import select

from bot import surveys
from bot.dialog import Command, Registry, Turn, button, in_a_program, row_id
from bot.i18n import N_, _, program_words
from bot.messages import Button
from bot.programs import Program, Survey, SurveyQuestion
from bot.surveys import NAME, SCALE
from bot.timezones import long_date, today_in
from storage.models import Cohort, Membership, SurveyInvitation

SKIP_WORDS = {"skip", "pass", "-"}
SUMMARY = N_("answer an evaluation survey that is open for you")  # `help` shows it, translated


# `survey`: the person's open surveys


async def show_surveys(turn: Turn, args: str) -> None:
    today = today_in(turn.now, turn.timezone)
    waiting = []
    for cohort, program, survey in await _open_surveys_of(turn, today):
        invitation = await surveys.invitation_for(turn.session, cohort, program, survey, turn.person.id, turn.now)
        if invitation is not None and not invitation.finished:
            waiting.append((invitation, cohort, program, survey))
    if not waiting:
        turn.say(_("You have no survey to answer right now. I will write to you when one opens."))
        return
    if len(waiting) == 1:
        await _ask_current(turn, *waiting[0])
        return
    turn.say(
        _("These surveys are waiting for you:"),
        buttons=tuple(
            button(NAME, f"{program_words(survey.title)} ({program.short_name})", f"start|{invitation.id}")
            for invitation, _cohort, program, survey in waiting
        ),
    )


async def _open_surveys_of(turn: Turn, today: date) -> list[tuple[Cohort, Program, Survey]]:
    cohorts = await turn.session.execute(
        select(Cohort).join(Membership, Membership.cohort_id == Cohort.id).where(Membership.person_id == turn.person.id)
    )
    found = []
    for cohort in cohorts.scalars().unique():
        program = turn.programs.get(cohort.program_id)
        for survey in program.surveys if program else ():
            if surveys.is_open(cohort, survey, today):
                found.append((cohort, program, survey))
    return found


# The questions


class SurveyDialog:
    name = NAME
    lasting = True  # a survey is come back to: its questions stay in the person's DM

    async def on_action(self, turn: Turn, value: str) -> None:
        step, _bar, rest = value.partition("|")
        invitation_id, _bar, rest = rest.partition("|")
        found = await _own_invitation(turn, invitation_id)
        if found is None:
            return
        if step == "start":
            await _ask_current(turn, *found)
            return
        index_text, _bar, choice = rest.partition("|")
        invitation, _cohort, _program, survey = found
        if not index_text.isdigit() or int(index_text) != invitation.progress:
            turn.say(_("You have answered that question already."))
            await _ask_current(turn, *found)
            return
        question = survey.questions[invitation.progress]
        if step == "pick":
            _ask(turn, *found, ticked=_ticked(choice, question))
        elif step == "answer":
            await _take(turn, found, _button_answer(question, choice))
        elif step == "skip" and question.optional:
            await _take(turn, found, None, skipped=True)

    async def on_text(self, turn: Turn, text: str) -> None:
        data = turn.active.data if turn.active else {}
        found = await _own_invitation(turn, str(data.get("invitation", "")))
        if found is None:
            return
        invitation, survey = found[0], found[3]
        if data.get("index") != invitation.progress:
            await _ask_current(turn, *found)
            return
        question = survey.questions[invitation.progress]
        if question.optional and text.strip().lower() in SKIP_WORDS:
            await _take(turn, found, None, skipped=True)
            return
        answer = _typed_answer(question, text)
        if answer is None:
            turn.say(_how_to_answer(question))
            _ask(turn, *found)
            return
        await _take(turn, found, answer)

    async def ask_again(self, turn: Turn) -> None:
        """The question left open, in the language the person just chose."""
        found = await _own_invitation(turn, str((turn.active.data if turn.active else {}).get("invitation", "")))
        if found is not None:
            await _ask_current(turn, *found)


Found = tuple[SurveyInvitation, Cohort, Program, Survey]


async def _own_invitation(turn: Turn, invitation_id: str) -> Found | None:
    given_id = row_id(invitation_id)
    invitation = await turn.session.get(SurveyInvitation, given_id) if given_id is not None else None
    if invitation is None or invitation.person_id != turn.person.id:
        turn.finish()
        turn.say(_("That survey is not yours to answer. Type `survey` to see yours."))
        return None
    cohort = await turn.session.get_one(Cohort, invitation.cohort_id)
    program = turn.programs.get(cohort.program_id)
    survey = next((s for s in program.surveys if s.id == invitation.survey_id), None) if program else None
    if program is None or survey is None:
        turn.finish()
        turn.say(_("That survey is no longer part of the program, so it is closed."))
        return None
    opens, closes = surveys.survey_dates(cohort, survey)
    today = today_in(turn.now, turn.timezone)
    if not opens <= today <= closes:
        turn.finish()
        if today > closes:
            words = _("The survey “{title}” closed on {date}, so it cannot be answered now.")
        else:
            words = _("The survey “{title}” opens on {date}, so it cannot be answered now.")
        turn.say(words.format(title=program_words(survey.title), date=long_date(closes if today > closes else opens)))
        return None
    return invitation, cohort, program, survey


async def _ask_current(
    turn: Turn, invitation: SurveyInvitation, cohort: Cohort, program: Program, survey: Survey
) -> None:
    if invitation.finished:
        turn.finish()
        turn.say(_("You have answered “{title}” already. Thank you!").format(title=program_words(survey.title)))
        return
    _ask(turn, invitation, cohort, program, survey)


def _ask(
    turn: Turn,
    invitation: SurveyInvitation,
    cohort: Cohort,
    program: Program,
    survey: Survey,
    ticked: frozenset[int] = frozenset(),
) -> None:
    index = invitation.progress
    question = survey.questions[index]
    prefix = f"{invitation.id}|{index}"
    buttons: list[Button] = []
    hint = ""
    if question.kind == "scale":
        buttons = [button(NAME, value, f"answer|{prefix}|{value}") for value in SCALE]
        hint = _("1 is the lowest, 5 the highest.")
    elif question.kind == "single":
        buttons = [
            button(NAME, program_words(option), f"answer|{prefix}|{n}") for n, option in enumerate(question.options)
        ]
    elif question.kind == "multiple":
        for n, option in enumerate(question.options):
            toggled = ticked ^ {n}
            label = f"{'✓ ' if n in ticked else ''}{program_words(option)}"
            buttons.append(button(NAME, label, f"pick|{prefix}|{_mask(toggled)}"))
        buttons.append(button(NAME, _("Done"), f"answer|{prefix}|{_mask(ticked)}", "primary"))
        hint = _("Tick all that apply, then click Done (or type their numbers, like 1, 3).")
    else:
        hint = _("Type a short answer (up to {count} characters).").format(count=surveys.TEXT_LIMIT)
    if question.optional:
        buttons.append(button(NAME, _("Skip"), f"skip|{prefix}"))
        hint = (hint + " " + _("This one is optional.")).strip()
    turn.ask(
        NAME,
        "question",
        f"{program_words(question.text)}\n{hint}".strip(),
        expects="text" if question.kind == "text" else "choice",
        buttons=tuple(buttons),
        data={"invitation": invitation.id, "index": index},
        title=_("{survey}: question {number} of {count}").format(
            survey=program_words(survey.title), number=index + 1, count=len(survey.questions)
        ),
    )


async def _take(turn: Turn, found: Found, answer: object, *, skipped: bool = False) -> None:
    invitation, survey = found[0], found[3]
    index = invitation.progress
    if answer is None and not skipped:
        turn.say(_how_to_answer(survey.questions[index]))
        _ask(turn, *found)
        return
    if not await surveys.record_answer(turn.session, invitation, survey, index, answer):
        turn.say(_("You have answered that question already."))
        await _ask_current(turn, *found)
        return
    if invitation.finished:
        turn.finish()
        turn.say(
            _(
                "That was the last question: thank you! Your answers are stored without your name, "
                "and the coordinators only ever see totals from five people or more."
            ),
            title=_("{survey}: done").format(survey=program_words(survey.title)),
        )
        return
    _ask(turn, *found)


# Reading answers


def _button_answer(question: SurveyQuestion, choice: str) -> object:
    if question.kind == "scale":
        return int(choice) if choice in SCALE else None
    if question.kind == "single":
        return question.options[int(choice)] if choice.isdigit() and int(choice) < len(question.options) else None
    if question.kind == "multiple":
        ticked = _ticked(choice, question)
        return [question.options[n] for n in sorted(ticked)] or None
    return None


def _typed_answer(question: SurveyQuestion, typed: str) -> object:
    text = typed.strip()
    if question.kind == "text":
        return surveys.clean_text(text)
    if question.kind == "scale":
        return int(text) if text in SCALE else None
    if question.kind == "single":
        picked = _options_named(question, [text])
        return question.options[picked[0]] if len(picked) == 1 else None
    parts = [part for part in text.replace(";", ",").split(",") if part.strip()]
    picked = _options_named(question, parts)
    return [question.options[n] for n in sorted(set(picked))] if picked and len(picked) == len(parts) else None


def _options_named(question: SurveyQuestion, parts: list[str]) -> list[int]:
    """Options by number (1 is the first) or by name, ignoring case; an unknown part is left out."""
    picked = []
    for part in (p.strip().lower() for p in parts):
        if part.isdigit() and 1 <= int(part) <= len(question.options):
            picked.append(int(part) - 1)
        else:
            picked += [
                n
                for n, option in enumerate(question.options)
                if part in (option.lower(), program_words(option).lower())  # as the file or the reader says it
            ]
    return picked


def _how_to_answer(question: SurveyQuestion) -> str:
    if question.kind == "scale":
        if question.optional:
            return _("Please answer with a number from 1 to 5 or type `skip`.")
        return _("Please answer with a number from 1 to 5.")
    if question.kind == "text":
        if question.optional:
            words = _("Please keep your answer to {count} characters or type `skip`.")
        else:
            words = _("Please keep your answer to {count} characters.")
        return words.format(count=surveys.TEXT_LIMIT)
    if question.kind == "multiple":
        if question.optional:
            return _("Please tick at least one option and click Done, or type their numbers like 1, 3 or type `skip`.")
        return _("Please tick at least one option and click Done, or type their numbers like 1, 3.")
    if question.optional:
        return _("Please click one of the options, or type its number or type `skip`.")
    return _("Please click one of the options, or type its number.")


def _mask(ticked: frozenset[int]) -> str:
    return str(sum(1 << n for n in ticked))


def _ticked(mask: str, question: SurveyQuestion) -> frozenset[int]:
    bits = int(mask) if mask.isdigit() else 0
    return frozenset(n for n in range(len(question.options)) if bits >> n & 1)


def register(registry: Registry) -> None:
    registry.add_command(Command("survey", SUMMARY, "survey", show_surveys, serves=in_a_program))
    registry.add_dialog(SurveyDialog())
