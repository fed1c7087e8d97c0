"""`me`: who the assistant thinks you are: name, email, time zone, programs and linked accounts."""

from sqlalchemy import select

from bot.cohorts import label_of
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _, role_word
from bot.roles import RoleInCohort
from bot.timezones import local_time
from storage.models import Account

PLATFORMS = {"slack": "Slack", "teams": "Teams", "console": N_("terminal")}


async def show_me(turn: Turn, args: str) -> None:
    person = turn.person
    accounts = (await turn.session.execute(select(Account.platform).where(Account.person_id == person.id))).scalars()
    linked = ", ".join(sorted({_(PLATFORMS.get(p, p)) for p in accounts}))
    zone_source = _("you chose it") if person.timezone_chosen else _("from your chat profile")
    zone = (
        f"{local_time(turn.now, turn.timezone)}, {zone_source}" if person.timezone else _("not known yet (UTC is used)")
    )
    roles = [
        _("{role} in {cohort}").format(role=role_word(e.role), cohort=_label(turn, e)) for e in turn.roles.in_cohorts
    ]
    turn.say(
        _("Change your time zone with `timezone`."),
        title=f"{person.display_name} <{person.email}>",
        lines=(
            _("Time zone: {zone}").format(zone=zone),
            _("Linked accounts: {accounts}").format(accounts=linked),
            *(roles or [_("Not in a program yet")]),
        ),
    )


def _label(turn: Turn, entry: RoleInCohort) -> str:
    return label_of(entry.cohort_name, turn.programs.get(entry.program_id), entry.program_id)


def register(registry: Registry) -> None:
    registry.add_command(Command("me", N_("your profile, time zone and programs"), "me", show_me, keeps_dialog=True))
