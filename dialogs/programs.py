"""`programs`: the programs this assistant runs, their current cohorts and application windows."""

from datetime import date

from sqlalchemy import select

from bot.dialog import Command, Registry, Turn
from storage.models import Cohort


async def list_programs(turn: Turn, args: str) -> None:
    cohorts = (await turn.session.execute(select(Cohort).order_by(Cohort.starts_on))).scalars().all()
    today = turn.now.date()
    lines = []
    for program in turn.programs:
        runs = [c for c in cohorts if c.program_id == program.id]
        lines.append(f"*{program.name}* ({program.organisation}): {_cohort_summary(runs, today)}")
    turn.say(
        "Ask a coordinator or type `help` to see what you can do in a program.", title="Programs", lines=tuple(lines)
    )


def _cohort_summary(cohorts: list[Cohort], today: date) -> str:
    if not cohorts:
        return "no cohort yet"
    parts = []
    for cohort in cohorts:
        opens, closes = (date.fromisoformat(d) for d in cohort.calendar["application"])
        if opens <= today <= closes:
            state = f"applications open until {closes:%d %b %Y}"
        elif today < opens:
            state = f"applications open {opens:%d %b %Y}"
        else:
            state = f"runs {cohort.starts_on:%b %Y} to {cohort.ends_on:%b %Y}"
        parts.append(f"{cohort.name}, {state}")
    return "; ".join(parts)


def register(registry: Registry) -> None:
    registry.add_command(
        Command("programs", "the programs and their cohorts", "programs", list_programs, keeps_dialog=True)
    )
