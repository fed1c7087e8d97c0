"""`pause until DATE`: a person is away (leave, illness) until a day, included; `pause` shows it; `pause off`
or `back` ends it early.

While away (persons.away_until is today or later): no check-ins, check-in reminders or nudges for them;
their partner still gets theirs. Their partners and their cohorts' coordinators are told only that they are
away until that day, and again when they are back early. No reason is asked for or kept.
"""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot import outbox, pair_admin
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import pairings_of
from bot.timezones import long_date, today_in
from storage.models import Cohort, Membership, Person

KIND = "away"
USAGE = N_("`pause until DATE` (like `pause until 31 January`), `pause off` or `back`")


async def pause(turn: Turn, args: str) -> None:
    typed = " ".join(args.split())
    today = today_in(turn.now, turn.timezone)
    away = turn.person.away_until
    if not typed:
        if away is not None and away >= today:
            turn.say(
                _("You are away until {date} (included). Type `pause off` or `back` when you are back.").format(
                    date=long_date(away)
                )
            )
        else:
            turn.say(
                _("You are not away. To pause your check-ins while you are on leave: {usage}.").format(usage=_(USAGE))
            )
        return
    if typed.lower() in ("off", "end", "stop"):
        await back(turn, "")
        return
    day, why = pair_admin.read_day(typed, turn.timezone, turn.now)
    refusal = why if day is None else pair_admin.pause_refusal(day, today)
    if day is None or refusal:
        turn.say(_("{refusal} Write {usage}. Nothing changed.").format(refusal=refusal, usage=_(USAGE)))
        return
    turn.person.away_until = day
    name = turn.person.display_name
    await _tell_others(
        turn, lambda: _("{name} is away until {date} (included).").format(name=name, date=long_date(day))
    )
    turn.say(
        _(
            "You are away until {date} (included): no check-ins or reminders until then. I told your "
            "partners and coordinators only that you are away until then. Type `back` if you return earlier."
        ).format(date=long_date(day))
    )


async def back(turn: Turn, args: str) -> None:
    today = today_in(turn.now, turn.timezone)
    away = turn.person.away_until
    if away is None or away < today:
        turn.say(_("You are not away: nothing to end."))
        return
    turn.person.away_until = today - timedelta(days=1)  # past, so not away; quiet weeks count from today
    name = turn.person.display_name
    await _tell_others(
        turn,
        lambda: _("{name} is back (they had been away until {date}).").format(name=name, date=long_date(away)),
    )
    turn.say(_("Welcome back: your check-ins resume. I told your partners and coordinators."))


async def _tell_others(turn: Turn, text: Callable[[], str]) -> None:
    """Tell the person's active partners and the coordinators of their cohorts that have not ended; `text()`
    words it in the language being spoken, each reader's."""
    told: set[int] = {turn.person.id}
    for info in await pairings_of(turn.session, turn.person.id, turn.programs):
        await _tell(turn, [info.partner_of(turn.person.id)], text, told)
    today = today_in(turn.now, turn.timezone)
    member_of = select(Membership.cohort_id).where(Membership.person_id == turn.person.id)
    query = select(Cohort).where(Cohort.id.in_(member_of), Cohort.ends_on >= today)
    for cohort in (await turn.session.execute(query)).scalars():
        program = turn.programs.get(cohort.program_id)
        if program is not None:
            await _tell(turn, await cohort_coordinators(turn.session, cohort, program), text, told)


async def _tell(turn: Turn, people: list[Person], text: Callable[[], str], told: set[int]) -> None:
    for person in people:
        if person.id not in told:
            told.add(person.id)
            with speaking(person.language):
                notice = Reply(text(), title=_("Away"))
            outbox.queue(turn.session, person.id, notice, kind=KIND, now=turn.now)


def register(registry: Registry) -> None:
    registry.add_command(
        Command("pause", N_("pause your check-ins while you are away"), "pause [until DATE | off]", pause)
    )
    registry.add_command(Command("back", N_("end your pause early"), "back", back))
