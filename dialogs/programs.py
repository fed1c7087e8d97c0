"""`programs`: the programs this assistant runs, their current cohorts and application windows."""

from sqlalchemy import select

from bot.cohorts import application_phase, cohort_label
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _
from bot.programs import Program
from bot.timezones import long_date
from storage.models import Cohort


async def list_programs(turn: Turn, args: str) -> None:
    cohorts = (await turn.session.execute(select(Cohort).order_by(Cohort.starts_on))).scalars().all()
    lines = []
    for program in turn.programs:
        runs = [c for c in cohorts if c.program_id == program.id]
        lines.append(
            _("*{program}*, by the {organisation}: {cohorts}").format(
                program=program.name, organisation=program.organisation, cohorts=_cohort_summary(turn, program, runs)
            )
        )
    turn.say(
        _("Ask a coordinator or type `help` to see what you can do in a program."),
        title=_("Programs"),
        lines=tuple(lines),
    )


def _cohort_summary(turn: Turn, program: Program, cohorts: list[Cohort]) -> str:
    if not cohorts:
        return _("no cohort yet")
    parts = []
    for cohort in cohorts:
        call = application_phase(cohort, program)
        if call is not None and call.is_open(turn.now):
            state = _("applications open, closing {closing}").format(closing=call.closing(turn.timezone))
        elif call is not None and turn.now < call.opening:
            state = _("applications open {dates}").format(dates=call.words(turn.timezone))
        elif turn.now.date() > cohort.ends_on:
            state = _("ran from {start} to {end}").format(
                start=long_date(cohort.starts_on), end=long_date(cohort.ends_on)
            )
        else:
            state = _("runs from {start} to {end}").format(
                start=long_date(cohort.starts_on), end=long_date(cohort.ends_on)
            )
        parts.append(f"{cohort_label(cohort, program)}, {state}")
    return "; ".join(parts)


def register(registry: Registry) -> None:
    registry.add_command(
        Command("programs", N_("the programs and their cohorts"), "programs", list_programs, keeps_dialog=True)
    )
