"""`cohort calendar`, `cohort dates` and `cohort new` (coordinators): a cohort's dated calendar in chat.

`cohort calendar [COHORT]` shows a cohort's phases, one a line with the id to type. `cohort dates PHASE
FROM TO [COHORT]` moves one phase: the new dates are checked on the whole calendar, a preview lists what
the move changes (check-in dates, a survey's window, sessions that would fall outside their window), and
the coordinator confirms. Extending the call for applications is `cohort dates call ...`. `cohort new
PROGRAM [STARTS] [REGION]` creates the program's next cohort after a preview of its calendar.

A cohort is named by its name ("Demo 2027-28") or by program words and its name ("aahsl Demo 2027-28");
with none named, the coordinator's running cohorts are offered as buttons when there are several.
The rules live in bot/calendar_changes.py.
"""

from bot.calendar_changes import Effects, Move, apply_move, effects, plan_move
from bot.cohorts import calendar_lines, cohort_in_sentence, cohort_label, running
from bot.cycle import dated_phase
from bot.dates import DATE_EXAMPLES, CalendarError, read_date
from bot.dialog import Registry, Turn, button, row_id
from bot.i18n import _, program_words
from bot.programs import Program, ProgramCatalog
from bot.timezones import date_span, local_time, long_date, zone_name
from dialogs import cohort_new
from storage.models import Cohort

NAME = "cohort"
DATES_USAGE = "`cohort dates PHASE FROM TO [COHORT]`"
YES = frozenset({"yes", "y", "ok", "okay", "move it", "create it", "go"})
NO = frozenset({"no", "n", "cancel", "stop", "don't", "dont"})


# Which cohort


def named(typed: str, cohorts: list[tuple[Cohort, Program]], programs: ProgramCatalog) -> list[tuple[Cohort, Program]]:
    """The cohorts `typed` names: by name ("Demo 2027-28"), program words and name ("aahsl Demo 2027-28"),
    or program words alone (that program's cohorts)."""
    wanted = " ".join(typed.lower().split())
    found = []
    for cohort, program in cohorts:
        name = " ".join(cohort.name.lower().split())
        prefix = wanted.removesuffix(name).strip() if wanted.endswith(name) else None
        if prefix == "" or (prefix and programs.find(prefix) is program):
            found.append((cohort, program))
    if not found and (program := programs.find(wanted)) is not None:
        found = [(cohort, p) for cohort, p in cohorts if p is program]
    return found


async def named_or_running(turn: Turn, typed: str) -> list[tuple[Cohort, Program]] | None:
    """The coordinated cohorts `typed` names, else (nothing typed) the running ones; None, having said which
    are theirs, when `typed` names none."""
    cohorts = await turn.coordinated_cohorts()
    if not typed.strip():
        return [(cohort, program) for cohort, program in cohorts if running(cohort, turn.now)]
    found = named(typed, cohorts, turn.programs)
    if not found:
        yours = ", ".join(cohort_label(c, p) for c, p in cohorts if running(c, turn.now))
        turn.say(
            _("You coordinate no cohort called `{name}`. Yours: {yours}.").format(
                name=typed.strip()[:60], yours=yours or _("none running")
            )
        )
        return None
    return found


async def _choose(turn: Turn, typed: str) -> list[tuple[Cohort, Program]]:
    """The cohorts the person may mean: the ones named, else the running ones. Says so when none fits."""
    found = await named_or_running(turn, typed)
    if found is None:
        return []
    if not found:
        turn.say(_("You coordinate no cohort whose calendar is still running."))
    return found


def _cohort_buttons(action: str, cohorts: list[tuple[Cohort, Program]]) -> tuple:  # type: ignore[type-arg]
    return tuple(button(NAME, cohort_label(c, p), f"{action}|{c.id}") for c, p in cohorts)


async def own_cohort(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    """The cohort of a click, if the person coordinates it; otherwise they are told, and None."""
    given_id = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given_id) if given_id is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None or not turn.roles.coordinates_cohort(cohort):
        turn.finish()
        turn.say(
            _("Only the coordinators of a cohort can see and change its calendar, and you do not coordinate that one.")
        )
        return None
    return cohort, program


# cohort calendar [COHORT]


async def show_calendar(turn: Turn, args: str) -> None:
    found = await _choose(turn, args)
    if len(found) == 1:
        _say_calendar(turn, *found[0])
    elif found:
        turn.ask(
            NAME,
            "calendar",
            _("Which cohort's calendar?"),
            expects="choice",
            buttons=_cohort_buttons("calendar", found),
        )


def _say_calendar(turn: Turn, cohort: Cohort, program: Program) -> None:
    turn.finish()
    turn.say(
        _(
            "Times are in your zone, {zone}. To move a phase: `cohort dates PHASE FROM TO {cohort}`, "
            "with dates like {examples}."
        ).format(zone=zone_name(turn.timezone), cohort=cohort_label(cohort, program), examples=_(DATE_EXAMPLES)),
        title=_("Calendar: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(calendar_lines(cohort, program, turn.timezone)),
    )


# cohort dates PHASE FROM TO [COHORT]


async def move_phase(turn: Turn, args: str) -> None:
    turn.finish()
    phase_id, _sep, rest = " ".join(args.split()).partition(" ")
    try:
        typed = _dates_typed(turn, rest)
    except CalendarError as error:
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return
    if not phase_id or typed is None:
        turn.say(
            _(
                "Write it as {usage}, with dates like {examples}: `cohort dates call 2026-11-16 2027-01-31`. "
                "Type `cohort calendar` to see the phases. Nothing was changed."
            ).format(usage=DATES_USAGE, examples=_(DATE_EXAMPLES))
        )
        return
    from_typed, to_typed, cohort_typed = typed
    draft = {"phase": phase_id.lower(), "from": from_typed, "to": to_typed}
    found = await _choose(turn, cohort_typed)
    if len(found) > 1:
        found = _with_phase(turn, found, draft["phase"])
    if len(found) == 1:
        await _preview_move(turn, *found[0], draft)
    elif found:
        turn.ask(
            NAME,
            "dates-cohort",
            _("Which cohort's phase `{phase}`?").format(phase=draft["phase"]),
            expects="choice",
            buttons=_cohort_buttons("dates", found),
            data=draft,
        )


def _dates_typed(turn: Turn, text: str) -> tuple[str, str, str] | None:
    """The two dates as typed and what follows (the cohort); None unless two dates lead the text."""
    first, after_first = read_date(text, turn.timezone, turn.now)
    second, after_second = read_date(after_first, turn.timezone, turn.now)
    if first is None or second is None:
        return None
    text = " ".join(text.split())
    from_typed = text[: len(text) - len(after_first)]
    return from_typed, after_first[: len(after_first) - len(after_second)], after_second


def _with_phase(turn: Turn, found: list[tuple[Cohort, Program]], phase_id: str) -> list[tuple[Cohort, Program]]:
    """The cohorts that have the phase; when none has, the person is told each program's phases."""
    having = [(c, p) for c, p in found if dated_phase(c.calendar, phase_id) is not None]
    if not having:
        phases = {p.short_name: ", ".join(f"`{r.id}`" for r in p.calendar.phases) for _cohort, p in found}
        turn.say(
            _("None of your cohorts has a phase `{phase}`. Nothing was changed.").format(phase=phase_id[:40]),
            lines=tuple(f"{name}: {ids}" for name, ids in phases.items()),
        )
    return having


async def _preview_move(turn: Turn, cohort: Cohort, program: Program, draft: dict[str, str]) -> None:
    move = _checked_move(turn, cohort, program, draft)
    if move is None:
        return
    shown = await effects(turn.session, move, turn.now, turn.timezone)
    before, after = move.before, move.after
    turn.ask(
        NAME,
        "move",
        _("Move {phase} (`{id}`) of {cohort}?").format(
            phase=program_words(after.name), id=after.id, cohort=cohort_in_sentence(cohort, program)
        ),
        expects="choice",
        buttons=(button(NAME, _("Move it"), "move", "primary"), button(NAME, _("Cancel"), "stop")),
        data={
            "cohort_id": cohort.id,
            "phase": after.id,
            "from": after.opens.isoformat(),
            "to": after.closes.isoformat(),
        },
        title=_("Preview: {title}").format(title=cohort_label(cohort, program)),
        lines=(
            _("Now: {dates}").format(dates=before.words(turn.timezone)),
            _("New: {dates}").format(dates=after.words(turn.timezone)),
            *_effect_lines(turn, shown),
        ),
    )


def _checked_move(turn: Turn, cohort: Cohort, program: Program, draft: dict[str, str]) -> Move | None:
    """The move the draft describes, checked; the person is told why not (and the dialog ends) otherwise."""
    phase = dated_phase(cohort.calendar, draft["phase"])
    try:
        opens, _rest = read_date(draft["from"], turn.timezone, turn.now, near=phase.opens if phase else None)
        closes, _rest = read_date(draft["to"], turn.timezone, turn.now, near=phase.closes if phase else None)
        if opens is None or closes is None:
            raise CalendarError(
                _("I couldn't read the dates: write them like {examples}.").format(examples=_(DATE_EXAMPLES))
            )
        return plan_move(cohort, program, draft["phase"], opens, closes, turn.now)
    except CalendarError as error:
        turn.finish()
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return None


def _effect_lines(turn: Turn, shown: Effects) -> list[str]:
    lines = []
    if shown.check_in_dates is not None:
        dates = ", ".join(long_date(day) for day in shown.check_in_dates) or _("none left to send")
        lines.append(_("Check-ins planned again: {dates}").format(dates=dates))
    for survey, phase in shown.survey_windows:
        lines.append(
            _("Survey “{title}”: open from {dates}, planned again").format(
                title=program_words(survey.title), dates=date_span(phase.opens, phase.closes)
            )
        )
    outside = (
        (
            _(
                "One-to-one session outside the new window ({window}): {when}, {who}. "
                "It stays booked: tell the people or move it."
            ),
            shown.sessions,
        ),
        (
            _(
                "Peer group outside the new window ({window}): {when}, {who}. "
                "It stays booked: tell the people or move it."
            ),
            shown.groups,
        ),
    )
    for line, rows in outside:
        for row in rows:
            when = local_time(row.starts_at, turn.timezone)
            lines.append(line.format(window=date_span(*row.window), when=when, who=row.who))
    return lines


async def _move(turn: Turn) -> None:
    data = turn.active.data if turn.active and turn.active.step == "move" else {}
    turn.finish()
    if "cohort_id" not in data:
        turn.say(_("That change is no longer waiting. Type {usage} to make it again.").format(usage=DATES_USAGE))
        return
    found = await own_cohort(turn, str(data["cohort_id"]))
    if found is None:
        return
    cohort, program = found
    move = _checked_move(turn, cohort, program, data)
    if move is None:
        return
    await apply_move(turn.session, move, turn.now)
    turn.say(
        _("Moved: {phase} (`{id}`) now runs {dates}.").format(
            phase=program_words(move.after.name), id=move.after.id, dates=move.after.words(turn.timezone)
        ),
        title=_("Calendar: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(calendar_lines(cohort, program, turn.timezone)),
    )


# The answers


class CohortCalendarDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        step = turn.active.step if turn.active else ""
        answer = " ".join(text.lower().split()).strip(".!")
        if step in ("move", "new") and answer in YES:
            await (_move(turn) if step == "move" else cohort_new.create(turn))
        elif step in ("move", "new") and answer in NO:
            _cancel(turn)
        else:
            turn.say(_("Please use the buttons above (or type yes or no), or type `cohort calendar` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action == "calendar" and (found := await own_cohort(turn, rest)):
            _say_calendar(turn, *found)
        elif action == "dates" and (found := await own_cohort(turn, rest)):
            data = turn.active.data if turn.active and turn.active.step == "dates-cohort" else {}
            if "phase" not in data:
                turn.say(
                    _("That change is no longer waiting. Type {usage} to make it again.").format(usage=DATES_USAGE)
                )
                return
            await _preview_move(turn, *found, data)
        elif action == "move":
            await _move(turn)
        elif action == "create":
            await cohort_new.create(turn)
        elif action == "stop":
            _cancel(turn)


def _cancel(turn: Turn) -> None:
    waiting = turn.active.step if turn.active else ""
    turn.finish()
    turn.say(_("Fine: nothing was created.") if waiting == "new" else _("Fine: nothing was changed."))


def register(registry: Registry) -> None:
    """The answers to the `cohort` command's questions (the command itself is in dialogs/cohort.py)."""
    registry.add_dialog(CohortCalendarDialog())
