"""`assessment`: participants choose one development assessment and say when it is done.

The AAHSL pilot offers DiSC, Myers-Briggs, EQi-2.0, CliftonStrengths and TKI (from the program file).
Coordinators see who has chosen which and who has completed it; a result is never asked for or kept.
"""

from sqlalchemy import select

from bot.cohorts import cohort_label
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _, program_words
from bot.programs import Program
from bot.timezones import long_date, today_in
from storage.models import Assessment, Cohort, Membership, Person

NAME = "assessment"


async def start(turn: Turn, args: str) -> None:
    shown = False
    for cohort, program in await _own_cohorts(turn):
        await _show_own(turn, cohort, program)
        shown = True
    for cohort, program in await _coordinated_cohorts(turn):
        await _show_overview(turn, cohort, program)
        shown = True
    if not shown:
        offering = [p.short_name for p in turn.programs if p.assessments]
        if offering:
            turn.say(
                _(
                    "Assessments are for participants of programs that offer them ({programs}); "
                    "you have none to choose."
                ).format(programs=", ".join(offering))
            )
        else:
            turn.say(_("Assessments are for participants of programs that offer them; you have none to choose."))


async def _show_own(turn: Turn, cohort: Cohort, program: Program) -> None:
    chosen = await _assessment(turn, cohort.id, turn.person.id)
    if chosen is None:
        question = _("{program}: Which development assessment would you like to take?")
        _offer(turn, cohort, program, question.format(program=program.short_name))
        return
    when = long_date(today_in(chosen.chosen_at, turn.timezone))
    if chosen.completed_at is not None:
        done = long_date(today_in(chosen.completed_at, turn.timezone))
        turn.say(
            _("{program}: you completed the {instrument} assessment on {date}. Well done!").format(
                program=program.short_name, instrument=program_words(chosen.instrument), date=done
            )
        )
        return
    turn.ask(
        NAME,
        "own",
        _(
            "{program}: you chose {instrument} on {date}. Tell me when you have completed it "
            "(only that it is done: I never ask for results)."
        ).format(program=program.short_name, instrument=program_words(chosen.instrument), date=when),
        expects="choice",
        buttons=(
            button(NAME, _("I have completed it"), f"done|{cohort.id}", "primary"),
            button(NAME, _("Choose another"), f"change|{cohort.id}"),
        ),
    )


def _offer(turn: Turn, cohort: Cohort, program: Program, question: str) -> None:
    """Ask `question` (a whole sentence, in the reader's language) with one button per assessment."""
    buttons = tuple(
        button(NAME, program_words(instrument), f"choose|{cohort.id}|{index}")
        for index, instrument in enumerate(program.assessments)
    )
    turn.ask(NAME, "own", question, expects="choice", buttons=buttons)


async def _show_overview(turn: Turn, cohort: Cohort, program: Program) -> None:
    query = (
        select(Person.display_name, Assessment.instrument, Assessment.completed_at)
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(Assessment, (Assessment.person_id == Person.id) & (Assessment.cohort_id == cohort.id))
        .where(Membership.cohort_id == cohort.id, Membership.role == program.guided_role)
        .order_by(Person.display_name)
    )
    rows = (await turn.session.execute(query)).all()
    lines, chosen, completed = [], 0, 0
    for name, instrument, completed_at in rows:
        if instrument is None:
            lines.append(_("{name}: not chosen yet").format(name=name))
            continue
        chosen += 1
        completed += completed_at is not None
        line = _("{name}: {instrument}, completed") if completed_at else _("{name}: {instrument}, not completed yet")
        lines.append(line.format(name=name, instrument=program_words(instrument)))
    turn.say(
        _("{chosen} of {count} have chosen, {completed} have completed. Results are never collected.").format(
            chosen=chosen, count=len(rows), completed=completed
        ),
        title=_("Assessments: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(lines),
    )


class AssessmentDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or type `assessment` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _unused, rest = value.partition("|")
        cohort_id, _unused, index = rest.partition("|")
        found = await _own_cohort(turn, cohort_id)
        if found is None:
            return
        cohort, program = found
        chosen = await _assessment(turn, cohort.id, turn.person.id)
        if chosen is not None and chosen.completed_at is not None:
            turn.finish()
            turn.say(
                _("You completed the {instrument} assessment already; nothing was changed.").format(
                    instrument=program_words(chosen.instrument)
                )
            )
        elif action == "choose":
            _choose(turn, cohort, program, chosen, index)
        elif action == "change":
            question = _("{program}: Which assessment would you like instead?")
            _offer(turn, cohort, program, question.format(program=program.short_name))
        elif action == "done" and chosen is not None:
            chosen.completed_at = turn.now
            turn.finish()
            turn.say(
                _("Noted: you completed the {instrument} assessment. Your coordinators see only that.").format(
                    instrument=program_words(chosen.instrument)
                )
            )


def _choose(turn: Turn, cohort: Cohort, program: Program, chosen: Assessment | None, index: str) -> None:
    if not index.isdigit() or int(index) >= len(program.assessments):
        options = ", ".join(program_words(instrument) for instrument in program.assessments)
        turn.say(_("Please choose one of: {options}. Nothing was changed.").format(options=options))
        return
    instrument = program.assessments[int(index)]
    if chosen is None:
        turn.session.add(
            Assessment(cohort_id=cohort.id, person_id=turn.person.id, instrument=instrument, chosen_at=turn.now)
        )
    else:
        chosen.instrument, chosen.chosen_at = instrument, turn.now
    turn.finish()
    turn.say(
        _("Noted: you will take the {instrument} assessment. Type `assessment` when you have completed it.").format(
            instrument=program_words(instrument)
        )
    )


async def _own_cohorts(turn: Turn) -> list[tuple[Cohort, Program]]:
    found = []
    for entry in turn.roles.in_cohorts:
        program = turn.programs.get(entry.program_id)
        if program and program.assessments and entry.role == program.guided_role:
            found.append((await turn.session.get_one(Cohort, entry.cohort_id), program))
    return found


async def _coordinated_cohorts(turn: Turn) -> list[tuple[Cohort, Program]]:
    programs = {p.id: p for p in turn.programs if p.assessments and turn.roles.coordinates(p.id)}
    if not programs:
        return []
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_(list(programs)), turn.roles.coordinated_cohorts())
        .order_by(Cohort.starts_on.desc())
    )
    return [(cohort, programs[cohort.program_id]) for cohort in (await turn.session.execute(query)).scalars()]


async def _own_cohort(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    for cohort, program in await _own_cohorts(turn):
        if str(cohort.id) == cohort_id:
            return cohort, program
    turn.finish()
    turn.say(_("That assessment choice is not yours to make. Type `assessment` to see yours."))
    return None


async def _assessment(turn: Turn, cohort_id: int, person_id: int) -> Assessment | None:
    query = select(Assessment).where(Assessment.cohort_id == cohort_id, Assessment.person_id == person_id)
    return (await turn.session.execute(query)).scalar_one_or_none()


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("choose your development assessment and say when it is done"),
            "assessment",
            start,
            serves=lambda program: bool(program.assessments),
        )
    )
    registry.add_dialog(AssessmentDialog())
