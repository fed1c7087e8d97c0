"""`status`: where each of your applications stands, and who you are paired with."""

from datetime import timedelta

from sqlalchemy import select

from bot import ending, pair_admin, progress
from bot.applications import STATUS_WORDS, next_step
from bot.cohorts import cohort_label
from bot.confirmation import is_waiting, state_words
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _, role_word
from bot.messages import Button
from bot.pairs import pairings_of
from bot.privacy.retention import removed_words, texts_removed
from bot.timezones import long_date, today_in
from dialogs import help_me
from storage.models import Application, Cohort

ENDED_SHOWN = timedelta(days=365)  # a pairing that ended with its program is shown this long after
NEXT_STEP = {
    "draft": N_("type `apply` to continue it"),
    "submitted": N_("you will get a message here when the coordinators decide"),
    "waitlisted": N_("you will get a message here if a seat frees up"),
    "accepted": N_("welcome aboard"),
}


async def show_status(turn: Turn, args: str) -> None:
    application_lines, draft = await _applications(turn)
    lines = application_lines + await _pair_lines(turn)
    away = turn.person.away_until
    if away is not None and away >= today_in(turn.now, turn.timezone):
        lines.append(
            _("You are away until {date}: no check-ins until then (`back` ends it early)").format(date=long_date(away))
        )
    if not lines:
        turn.say(_("You have no applications or pairings yet. Type `apply` to apply to a program."))
        return
    buttons: tuple[Button, ...] = ()
    if draft is not None:
        buttons = (button("apply", _("Continue my application"), f"start|{draft}"),)
    if any(entry.role != "coordinator" for entry in turn.roles.in_cohorts):
        buttons += (button(help_me.NAME, _("Need help"), "start", "danger"),)
    turn.say("", title=_("Your status"), lines=tuple(lines), buttons=buttons)


async def _applications(turn: Turn) -> tuple[list[str], str | None]:
    """A line per application, newest first, and the program of the newest one still in progress."""
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == turn.person.id)
        .order_by(Application.updated_at.desc())
    )
    lines, draft = [], None
    for application, cohort in (await turn.session.execute(query)).all():
        program = turn.programs.get(cohort.program_id)
        if program is None:
            continue
        if application.status == "draft" and draft is None:
            draft = program.id
        words = _(STATUS_WORDS[application.status])
        if application.submitted_at and application.status == "submitted":
            submitted = long_date(today_in(application.submitted_at, turn.timezone))
            words = _("submitted on {date}").format(date=submitted)
        hint = _(NEXT_STEP[application.status]) if application.status in NEXT_STEP else ""
        if application.status == "draft" and next_step(application, program) is None:
            hint = _("all answered: type `apply` to check and submit it")
        if texts_removed(application, cohort, program, turn.now):
            hint = removed_words(program)
        if state := state_words(application, turn.timezone, turn.now):
            words = _("accepted, {state}").format(state=state)
            hint = _("type `confirm` to confirm it") if is_waiting(application, turn.now) else hint
        label = cohort_label(cohort, program)
        if hint:
            line = _("{cohort}: application {status}; {next}").format(cohort=label, status=words, next=hint)
        else:
            line = _("{cohort}: application {status}").format(cohort=label, status=words)
        lines.append(line)
    return lines, draft


async def _pair_lines(turn: Turn) -> list[str]:
    lines = []
    for info in await pairings_of(turn.session, turn.person.id, turn.programs):
        program = info.program
        role = role_word(program.guide_role)
        if info.guide.id == turn.person.id:
            line = _("{program}: you are {role} to {name}").format(
                program=program.short_name, role=role, name=info.guided.display_name
            )
        else:
            line = _("{program}: your {role} is {name}").format(
                program=program.short_name, role=role, name=info.guide.display_name
            )
        if program.one_to_one is not None:
            figures = await progress.pair_progress(turn.session, info.pair.id, turn.now)
            line += f"; {progress.progress_words(figures, program.one_to_one)}"
        today = today_in(turn.now, turn.timezone)
        if pair_admin.is_paused(info.pair, today):
            paused = _("paused by the coordinators until {date}").format(date=long_date(info.pair.paused_until))
            line += f"; {paused}"
        lines.append(line)
    recent = today_in(turn.now, turn.timezone) - ENDED_SHOWN
    for info in await ending.ended_pairings(turn.session, turn.person.id, turn.programs):
        if info.cohort.ends_on >= recent:
            lines.append(ending.pairing_ended_words(info, turn.person.id))
    return lines


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "status", N_("where your applications stand, and your pairings"), "status", show_status, keeps_dialog=True
        )
    )
