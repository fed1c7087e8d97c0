"""`pause until DATE`: a person is away (leave, illness) until a day, included; `pause` shows it; `pause off`
or `back` ends it early.

While away (persons.away_until is today or later): no check-ins, check-in reminders or nudges for them;
their partner still gets theirs. Their partners and their cohorts' coordinators are told only that they are
away until that day, and again when they are back early. No reason is asked for or kept.
"""

from datetime import timedelta

from sqlalchemy import select

from bot import outbox, pair_admin
from bot.dialog import Command, Registry, Turn
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import pairings_of
from bot.timezones import long_date, today_in
from storage.models import Cohort, Membership, Person

KIND = "away"
USAGE = "`pause until DATE` (like `pause until 31 January`), `pause off` or `back`"


async def pause(turn: Turn, args: str) -> None:
    typed = " ".join(args.split())
    today = today_in(turn.now, turn.timezone)
    away = turn.person.away_until
    if not typed:
        if away is not None and away >= today:
            turn.say(f"You are away until {long_date(away)} (included). Type `pause off` or `back` when you are back.")
        else:
            turn.say(f"You are not away. To pause your check-ins while you are on leave: {USAGE}.")
        return
    if typed.lower() in ("off", "end", "stop"):
        await back(turn, "")
        return
    day, why = pair_admin.read_day(typed, turn.timezone, turn.now)
    refusal = why if day is None else pair_admin.pause_refusal(day, today)
    if day is None or refusal:
        turn.say(f"{refusal} Write {USAGE}. Nothing changed.")
        return
    turn.person.away_until = day
    await _tell_others(turn, f"{turn.person.display_name} is away until {long_date(day)} (included).")
    turn.say(
        f"You are away until {long_date(day)} (included): no check-ins or reminders until then. I told your "
        "partners and coordinators only that you are away until then. Type `back` if you return earlier."
    )


async def back(turn: Turn, args: str) -> None:
    today = today_in(turn.now, turn.timezone)
    away = turn.person.away_until
    if away is None or away < today:
        turn.say("You are not away: nothing to end.")
        return
    turn.person.away_until = today - timedelta(days=1)  # past, so not away; quiet weeks count from today
    await _tell_others(turn, f"{turn.person.display_name} is back (they had been away until {long_date(away)}).")
    turn.say("Welcome back: your check-ins resume. I told your partners and coordinators.")


async def _tell_others(turn: Turn, text: str) -> None:
    """Tell the person's active partners and the coordinators of their cohorts that have not ended."""
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


async def _tell(turn: Turn, people: list[Person], text: str, told: set[int]) -> None:
    for person in people:
        if person.id not in told:
            told.add(person.id)
            outbox.queue(turn.session, person.id, Reply(text, title="Away"), kind=KIND, now=turn.now)


def register(registry: Registry) -> None:
    registry.add_command(Command("pause", "pause your check-ins while you are away", "pause [until DATE | off]", pause))
    registry.add_command(Command("back", "end your pause early", "back", back))
