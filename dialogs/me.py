"""`me`: who the assistant thinks you are: name, email, time zone, programs and linked accounts."""

from sqlalchemy import select

from bot.cohorts import label_of
from bot.dialog import Command, Registry, Turn
from bot.roles import RoleInCohort
from bot.timezones import local_time
from storage.models import Account

PLATFORMS = {"slack": "Slack", "teams": "Teams", "console": "terminal"}


async def show_me(turn: Turn, args: str) -> None:
    person = turn.person
    accounts = (await turn.session.execute(select(Account.platform).where(Account.person_id == person.id))).scalars()
    linked = ", ".join(sorted({PLATFORMS.get(p, p) for p in accounts}))
    zone_source = "you chose it" if person.timezone_chosen else "from your chat profile"
    zone = f"{local_time(turn.now, turn.timezone)}, {zone_source}" if person.timezone else "not known yet (UTC is used)"
    roles = [f"{e.role} in {_label(turn, e)}" for e in turn.roles.in_cohorts]
    turn.say(
        "Change your time zone with `timezone`.",
        title=f"{person.display_name} <{person.email}>",
        lines=(f"Time zone: {zone}", f"Linked accounts: {linked}", *(roles or ["Not in a program yet"])),
    )


def _label(turn: Turn, entry: RoleInCohort) -> str:
    return label_of(entry.cohort_name, turn.programs.get(entry.program_id), entry.program_id)


def register(registry: Registry) -> None:
    registry.add_command(Command("me", "your profile, time zone and programs", "me", show_me, keeps_dialog=True))
