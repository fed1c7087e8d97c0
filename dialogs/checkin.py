"""Check-in answers: a click on one of the check-in's buttons, then how many sessions (or hours).

The check-in itself is sent by the scheduler (bot/checkins.py). Only the button chosen and the number
are stored; nothing typed is kept. "Need help" reaches the program's coordinators at once.
"""

from bot import outbox
from bot.checkins import ANSWERS, NAME, counts_hours
from bot.cohorts import cohort_in_sentence
from bot.dialog import Registry, Turn, button, row_id
from bot.i18n import _, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.programs import Program
from bot.timezones import long_date
from storage.models import CheckIn, Cohort, Pair, Person

MOST_SESSIONS, MOST_HOURS = 31, 200  # more than this in a month or a quarter is a typing slip


class CheckInDialog:
    name = NAME
    lasting = True  # a check-in is come back to: its questions stay in the person's DM

    async def on_action(self, turn: Turn, value: str) -> None:
        step, _bar, rest = value.partition("|")
        check_in_id, _bar, choice = rest.partition("|")
        found = await _own_check_in(turn, check_in_id)
        if found is None:
            return
        if step == "answer" and choice in ANSWERS:
            await _answer(turn, *found, choice)
        elif step == "count":
            await _count(turn, found[0], found[1], choice)

    async def on_text(self, turn: Turn, text: str) -> None:
        found = await _own_check_in(turn, str((turn.active.data if turn.active else {}).get("id", "")))
        if found is not None:
            await _count(turn, found[0], found[1], text.strip())

    async def ask_again(self, turn: Turn) -> None:
        """How many sessions (or hours), in the language the person just chose."""
        found = await _own_check_in(turn, str((turn.active.data if turn.active else {}).get("id", "")))
        if found is not None:
            check_in, program, _cohort, pair = found
            partner = await turn.session.get_one(
                Person, pair.guided_id if turn.person.id == pair.guide_id else pair.guide_id
            )
            _ask_count(turn, check_in, program, partner, "")


async def _own_check_in(turn: Turn, check_in_id: str) -> tuple[CheckIn, Program, Cohort, Pair] | None:
    given_id = row_id(check_in_id)
    check_in = await turn.session.get(CheckIn, given_id) if given_id is not None else None
    if check_in is None or check_in.person_id != turn.person.id:
        turn.finish()
        turn.say(_("That check-in is not yours to answer."))
        return None
    cohort = await turn.session.get_one(Cohort, check_in.cohort_id)
    pair = await turn.session.get_one(Pair, check_in.pair_id)
    program = turn.programs.get(cohort.program_id)
    if program is None:
        turn.finish()
        turn.say(_("That program is no longer offered, so its check-in is closed."))
        return None
    return check_in, program, cohort, pair


async def _answer(turn: Turn, check_in: CheckIn, program: Program, cohort: Cohort, pair: Pair, choice: str) -> None:
    partner = await turn.session.get_one(Person, pair.guided_id if turn.person.id == pair.guide_id else pair.guide_id)
    if check_in.status is not None:
        turn.finish()
        if choice == "need_help" and check_in.status != "need_help":  # asking for help is always possible
            check_in.status = choice
            await _tell_coordinators(turn, check_in, program, cohort, partner)
            turn.say(_("I have told the coordinators that you would like help; they will be in touch."))
            return
        answered = _(ANSWERS[check_in.status]).lower()
        turn.say(_("You answered this check-in already ({answer}). Thank you!").format(answer=answered))
        return
    check_in.status, check_in.answered_at = choice, turn.now
    pair.quiet_flagged_on = None  # the pair is in touch again: a later silence may be flagged anew
    if choice == "need_help":
        await _tell_coordinators(turn, check_in, program, cohort, partner)
        thanks = _("Thank you. I have told the coordinators that you would like help; they will be in touch.")
    elif choice == "some_difficulties":
        thanks = _("Thank you for telling me. If you would like the coordinators to help, click *Need help* any time.")
    else:
        thanks = _("Good to hear, thank you.")
    _ask_count(turn, check_in, program, partner, thanks)


def _ask_count(turn: Turn, check_in: CheckIn, program: Program, partner: Person, thanks: str) -> None:
    buttons = tuple(button(NAME, label, f"count|{check_in.id}|{label}") for label in ("0", "1", "2", "3", "4"))
    question = _count_question(counts_hours(program), partner)
    turn.ask(
        NAME,
        "count",
        f"{thanks} {question}" if thanks else question,
        expects="choice",
        buttons=buttons,
        data={"id": check_in.id},
    )


def _count_question(hours: bool, partner: Person) -> str:
    if hours:
        return _(
            "One more: how many hours have you and {name} spent together since the last check-in? "
            "Click a number, or type one."
        ).format(name=partner.display_name)
    return _(
        "One more: how many sessions have you had with {name} since the last check-in? Click a number, or type one."
    ).format(name=partner.display_name)


async def _count(turn: Turn, check_in: CheckIn, program: Program, typed: str) -> None:
    hours = counts_hours(program)
    most = MOST_HOURS if hours else MOST_SESSIONS
    number = _number(typed, whole=not hours)
    if number is None or not 0 <= number <= most:
        if hours:
            refusal = _("Please answer with a number of hours, like 1.5 (from 0 to {most}). Nothing was saved.")
        else:
            refusal = _("Please answer with a number of sessions, like 2 (from 0 to {most}). Nothing was saved.")
        turn.say(refusal.format(most=most))
        return
    turn.finish()
    if check_in.sessions is not None or check_in.hours is not None:
        turn.say(_("You answered this already. Thank you!"))
        return
    if hours:
        check_in.hours = number
    else:
        check_in.sessions = int(number)
    turn.say(_("Thank you, that is all for this check-in."))


def _number(typed: str, *, whole: bool) -> float | None:
    try:
        number = float(typed.replace(",", "."))
    except ValueError:
        return None
    if whole and not number.is_integer():
        return None
    return number


async def _tell_coordinators(turn: Turn, check_in: CheckIn, program: Program, cohort: Cohort, partner: Person) -> None:
    for coordinator in await cohort_coordinators(turn.session, cohort, program):
        with speaking(coordinator.language):
            notice = Reply(
                _(
                    "{name} ({email}) answered *Need help* in the {date} check-in of {cohort}, about their "
                    "pairing with {partner}. Please get in touch with them."
                ).format(
                    name=turn.person.display_name,
                    email=turn.person.email,
                    date=long_date(check_in.asked_on),
                    cohort=cohort_in_sentence(cohort, program),
                    partner=partner.display_name,
                ),
                title=_("A check-in asks for help"),
            )
        outbox.queue(
            turn.session, coordinator.id, notice, kind="check-in-help", now=turn.now, ref=f"check-in:{check_in.id}"
        )


def register(registry: Registry) -> None:
    registry.add_dialog(CheckInDialog())
