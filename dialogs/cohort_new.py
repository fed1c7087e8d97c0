"""`cohort new PROGRAM [STARTS] [REGION]` (coordinators of the program): its next cohort, after a preview.

STARTS is the day the work begins (`2027-09-01` or `1 September 2027`); without it, the program's next
cycle start after its latest cohort's. A program with regions runs one cohort per region: the region is
typed last (`cohort new network 2027-11-01 West`). The preview shows the name and the dated calendar; on
*Create it* the cohort is made as `python app.py cohorts create` makes it (bot/calendar_changes.py create).
The answers come back to the `cohort` dialog (dialogs/cohort_calendar.py).
"""

from bot import calendar_changes
from bot.calendar_changes import NewCohort, next_start, plan_new
from bot.cohorts import application_phase, calendar_lines, cohort_label, label_of
from bot.dates import DATE_EXAMPLES, CalendarError, read_date
from bot.dialog import Turn, button
from bot.i18n import _, role_word
from bot.network import NetworkError, find_region, region_names
from bot.programs import Program, ProgramCatalog, Region
from bot.timezones import date_span, long_date

NAME = "cohort"  # the dialog that receives the answers (dialogs/cohort_calendar.py)
USAGE = "`cohort new PROGRAM [STARTS]`"


async def new_cohort(turn: Turn, args: str) -> None:
    turn.finish()
    words = args.split()
    program, used = _program_in(words, turn.programs)
    mine = [p for p in turn.programs if turn.roles.coordinates(p.id)]
    if program is None:
        ids = ", ".join(f"`{p.id}`" for p in mine)
        turn.say(
            _("Write it as {usage}, with one of the programs you coordinate: {ids}. Nothing was created.").format(
                usage=USAGE, ids=ids
            )
        )
        return
    if program not in mine:
        turn.say(
            _("You don't coordinate the {program}, so you can't create its cohorts. Nothing was created.").format(
                program=program.short_name
            )
        )
        return
    try:
        new = await _new_from(turn, program, " ".join(words[used:]))
    except CalendarError as error:
        turn.say(_("{error} Nothing was created.").format(error=error))
        return
    preview = new.preview()
    call = application_phase(preview, program)
    question = _(
        "Create the {program} cohort '{name}', its work from {dates}? I will plan its check-ins and surveys."
    ).format(program=program.short_name, name=new.name, dates=date_span(preview.starts_on, preview.ends_on))
    if call and call.deadline <= turn.now:
        question += " " + _("Its call for applications would already be over (it closed on {date}).").format(
            date=long_date(call.closes)
        )
    turn.ask(
        NAME,
        "new",
        question,
        expects="choice",
        buttons=(button(NAME, _("Create it"), "create", "primary"), button(NAME, _("Cancel"), "stop")),
        data={
            "program_id": program.id,
            "region_id": new.region.id if new.region else None,
            "starts": str(new.starts_on),
        },
        title=_("Preview: {title}").format(title=label_of(new.name, program, program.id)),
        lines=tuple(calendar_lines(preview, program, turn.timezone)),
    )


def _program_in(words: list[str], programs: ProgramCatalog) -> tuple[Program | None, int]:
    """The program the leading words name (the longest such phrase), and how many words it took."""
    for end in range(len(words), 0, -1):
        program = programs.find(" ".join(words[:end]))
        if program is not None:
            return program, end
    return None, 0


async def _new_from(turn: Turn, program: Program, rest: str) -> NewCohort:
    """The checked new cohort from what followed the program: a start, a region; CalendarError if not."""
    starts_on, rest = read_date(rest, turn.timezone, turn.now)
    region = _region(turn, program, rest)
    if starts_on is None:
        starts_on = await next_start(turn.session, program, region, turn.now.date())
    return await plan_new(turn.session, program, region, starts_on, turn.now.date())


def _region(turn: Turn, program: Program, typed: str) -> Region | None:
    if not program.regions:
        if typed:
            raise CalendarError(
                _("I couldn't read `{typed}` as the day the work begins: write it like {examples}.").format(
                    typed=typed[:40], examples=_(DATE_EXAMPLES)
                )
            )
        return None
    region = find_region(program, typed) if typed else _only_region(turn, program)
    if region is None:
        example = f"cohort new {program.id} {program.regions[0].name}"
        if typed:
            text = _("The {program} has no region `{region}`, like `{example}`. Its regions: {regions}.")
        else:
            text = _(
                "The {program} runs one cohort per region: add the region last, like `{example}`. "
                "Its regions: {regions}."
            )
        raise CalendarError(
            text.format(program=program.short_name, region=typed[:40], example=example, regions=region_names(program))
        )
    if not turn.roles.coordinates_all(program.id) and region.id not in turn.roles.regions_in(program.id):
        raise CalendarError(
            _("You don't coordinate the {region} region of the {program}.").format(
                region=region.name, program=program.short_name
            )
        )
    return region


def _only_region(turn: Turn, program: Program) -> Region | None:
    """The region of a coordinator of one region only: theirs goes without saying."""
    mine = turn.roles.regions_in(program.id)
    if turn.roles.coordinates_all(program.id) or len(mine) != 1:
        return None
    return next((region for region in program.regions if region.id in mine), None)


async def create(turn: Turn) -> None:
    data = turn.active.data if turn.active and turn.active.step == "new" else {}
    turn.finish()
    program = turn.programs.get(str(data.get("program_id")))
    if program is None or "starts" not in data:
        turn.say(_("That cohort is no longer waiting to be created. Type {usage} to start again.").format(usage=USAGE))
        return
    if not turn.roles.coordinates(program.id):
        turn.say(
            _("You don't coordinate the {program}, so you can't create its cohorts. Nothing was created.").format(
                program=program.short_name
            )
        )
        return
    region = next((r for r in program.regions if r.id == data.get("region_id")), None)
    try:
        starts_on = read_date(str(data["starts"]), turn.timezone, turn.now)[0]
        assert starts_on is not None, "the preview stored an ISO date"
        new = await plan_new(turn.session, program, region, starts_on, turn.now.date())
        cohort, placed = await calendar_changes.create(turn.session, new, turn.now)
    except (CalendarError, NetworkError) as error:
        turn.say(_("{error} Nothing was created.").format(error=error))
        return
    lines = tuple(calendar_lines(cohort, program, turn.timezone))
    if placed:
        names = ", ".join(person.display_name for person in placed)
        lines += (
            _("New {roles} from graduations (told): {names}").format(
                roles=role_word(program.guide_role, 2), names=names
            ),
        )
    turn.say(
        _(
            "Created: {cohort}, starting on {date}. Its check-ins and surveys are planned; "
            "`cohort dates` moves a phase."
        ).format(cohort=cohort_label(cohort, program), date=long_date(cohort.starts_on)),
        title=_("Calendar: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=lines,
    )
