"""`log` and `hours`: coaches log time spent for their program outside meetings, and see it by month.

`log 2h resources`, `log 90m answering questions yesterday`, `log 1.5 hours connecting experts on 3 March`:
the amount, a category of the program (asked with buttons when it is missing or could be two) and the
day, today unless said (bot/hours.py reads them). Only the minutes, the category and the day are kept;
other words typed are dropped, and the coach is told so. A coach in several programs that count hours is
asked which one, unless the category belongs to only one of them.

`hours` shows the coach their months against the program's commitment ("under", "within", "over") and
this month's entries, numbered, with buttons to change or delete one (`hours change 2 1.5h`,
`hours delete 2`). A coordinator sees each coach's monthly totals, for the programs they coordinate only.
"""

from datetime import date

from bot import hours
from bot.cohorts import cohort_label
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.hours import HoursError, categories_of, category_words, duration
from bot.i18n import N_, _, month_name, short_month
from bot.messages import Button, either
from bot.programs import Program
from bot.timezones import long_date, today_in
from storage.models import Cohort, HourEntry

NAME = "hours"
LOG = "log"
SHOWN_BUTTONS = 3  # the latest entries get Change and Delete buttons (six fit a Teams card); others by number
LEFT_OVER = N_("I keep only the time, category and day.")
NOT_LOGGED, UNCHANGED = N_("Nothing was logged."), N_("Nothing changed.")
EXAMPLES = N_("`log 2h resources`, `log 90m answering questions yesterday` or `log 1.5 hours other on Friday`")


def _then(text: str, outcome: str) -> str:
    """A sentence followed by what happened: "… Nothing was logged." (`outcome` marked with N_)."""
    return f"{text} {_(outcome)}"


def _categories(program: Program) -> str:
    return ", ".join(category_words(c) for c in categories_of(program))


# log


async def log_time(turn: Turn, args: str) -> None:
    today = today_in(turn.now, turn.timezone)
    cohorts = await hours.coach_cohorts(turn.session, turn.roles, turn.programs, today)
    if not cohorts:
        turn.say(_then(_not_counted(turn), NOT_LOGGED))
        return
    if not args.strip():
        lines = tuple(f"{program.short_name}: {_categories(program)}" for _cohort, program in cohorts)
        turn.say(
            _("Tell me how long, the category and the day, like {examples}. The categories:").format(
                examples=_(EXAMPLES)
            ),
            lines=lines,
        )
        return
    readings, problem = [], ""
    for cohort, program in cohorts:
        try:
            readings.append((cohort, program, hours.read(args, program, turn.timezone, turn.now)))
        except HoursError as error:
            problem = problem or str(error)
    if not readings:
        turn.say(_then(problem, NOT_LOGGED))
        return
    if len(readings) > 1:
        _ask_cohort(turn, readings, today)
        return
    cohort, program, reading = readings[0]
    assert reading.minutes is not None
    await _go_on(turn, cohort, program, reading.minutes, reading.day or today, reading.categories, reading.left_over)


def _ask_cohort(turn: Turn, readings: list[tuple[Cohort, Program, hours.Reading]], today: date) -> None:
    choices = {
        str(cohort.id): {
            "day": (reading.day or today).isoformat(),
            "categories": list(reading.categories),
            "left_over": reading.left_over,
        }
        for cohort, _program, reading in readings
    }
    first = readings[0][2]
    turn.ask(
        NAME,
        "cohort",
        _("You coach in more than one program that counts hours. Which were the {duration} for?").format(
            duration=duration(first.minutes or 0)
        ),
        expects="choice",
        buttons=tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for c, p, _reading in readings),
        data={"minutes": first.minutes, "choices": choices},
    )


async def _go_on(
    turn: Turn,
    cohort: Cohort,
    program: Program,
    minutes: int,
    day: date,
    categories: tuple[str, ...],
    left_over: bool,
) -> None:
    """Check the entry; store it when its category is known, else ask for the category."""
    today = today_in(turn.now, turn.timezone)
    try:
        await hours.check_entry(turn.session, turn.person.id, cohort, program, day, minutes, today)
    except HoursError as error:
        turn.finish()
        turn.say(_then(str(error), NOT_LOGGED))
        return
    if len(categories) == 1:
        await _store(turn, cohort, program, minutes, day, categories[0], left_over)
        return
    offered = categories or categories_of(program)
    question = _("Which was it?") if categories else _("Which category was it?")
    every = categories_of(program)
    said = _("{duration} on {date} for {program}.").format(
        duration=duration(minutes), date=long_date(day), program=program.short_name
    )
    turn.ask(
        NAME,
        "category",
        f"{said} {question}",
        expects="choice",
        buttons=tuple(button(NAME, category_words(c), f"category|{every.index(c)}") for c in offered),
        data={
            "cohort_id": cohort.id,
            "minutes": minutes,
            "day": day.isoformat(),
            "left_over": left_over,
            "offered": list(offered),
        },
    )


async def _store(
    turn: Turn, cohort: Cohort, program: Program, minutes: int, day: date, category: str, left_over: bool
) -> None:
    entry = HourEntry(
        person_id=turn.person.id,
        cohort_id=cohort.id,
        category=category,
        worked_on=day,
        minutes=minutes,
        created_at=turn.now,
    )
    turn.session.add(entry)
    await turn.session.flush()  # its id, for the Undo button
    turn.finish()
    month = day.replace(day=1)
    total = (await hours.month_totals(turn.session, cohort.id, month)).get(turn.person.id, 0)
    assert program.coach_hours is not None
    logged = _("Logged {duration} of {category} on {date} for {program}.").format(
        duration=duration(minutes), category=category_words(category), date=long_date(day), program=program.short_name
    )
    if month == today_in(turn.now, turn.timezone).replace(day=1):
        total_words = _("{month} so far: {total}, {against}.")
    else:
        total_words = _("{month}: {total}, {against}.")
    text = f"{logged} " + total_words.format(
        month=month_name(month), total=duration(total), against=hours.against(total, program.coach_hours)
    )
    turn.say(
        _then(text, LEFT_OVER) if left_over else text,
        buttons=(button(NAME, _("Undo"), f"delete|{entry.id}", "danger"),),
    )


def _not_counted(turn: Turn) -> str:
    counting = [p.short_name for p in turn.programs if p.coach_hours is not None]
    if not counting:
        return _("None of the programs here counts coach hours.")
    return _(
        "Coach hours are logged by coaches of {programs}, in a cohort that is running; you are not one of them."
    ).format(programs=", ".join(counting))


# hours


async def show(turn: Turn, args: str) -> None:
    words = args.split(maxsplit=2)
    action = words[0].lower() if words else ""
    if action in ("delete", "remove"):
        entry = await _numbered(turn, words[1] if len(words) > 1 else "")
        if entry is not None:
            await _delete(turn, entry)
    elif action in ("change", "edit", "correct"):
        entry = await _numbered(turn, words[1] if len(words) > 1 else "")
        if entry is not None and len(words) > 2:
            await _change(turn, entry, words[2])
        elif entry is not None:
            await _ask_change(turn, entry)
    elif action:
        turn.say(
            _("I don't know `hours {action}`. Type `hours`, `hours change 2 1.5h` or `hours delete 2`.").format(
                action=action[:20]
            )
        )
    else:
        await _overview(turn)


async def _overview(turn: Turn) -> None:
    today = today_in(turn.now, turn.timezone)
    own = await hours.coach_cohorts(turn.session, turn.roles, turn.programs, today)
    for cohort, program in own:
        await _own_months(turn, cohort, program, today)
    if own:
        await _own_entries(turn, today, several=len(own) > 1)
    coordinated = await hours.coordinated_cohorts(turn.session, turn.roles, turn.programs, today)
    for cohort, program in coordinated:
        await _coaches_months(turn, cohort, program, today)
    if not own and not coordinated:
        if turn.roles.coordinator_of and not any(e.role in ("coach", "mentor") for e in turn.roles.in_cohorts):
            turn.say(_("None of the programs you coordinate counts coach hours (or none has a running cohort)."))
        else:
            turn.say(_not_counted(turn))


async def _own_months(turn: Turn, cohort: Cohort, program: Program, today: date) -> None:
    assert program.coach_hours is not None
    totals = await hours.monthly_totals(turn.session, cohort.id)
    lines = []
    for month in hours.months_of(cohort, today):
        total = totals.get((turn.person.id, month), 0)
        line = (
            _("{month} so far: {total}, {standing}")
            if month == today.replace(day=1)
            else _("{month}: {total}, {standing}")
        )
        lines.append(
            line.format(
                month=hours.month_label(month),
                total=duration(total),
                standing=hours.standing_word(total, program.coach_hours),
            )
        )
    turn.say(
        _("{program} asks {commitment} outside meetings ({categories}).").format(
            program=program.short_name,
            commitment=hours.commitment(program.coach_hours),
            categories=_categories(program),
        ),
        title=_("Your coach hours: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(lines),
    )


async def _own_entries(turn: Turn, today: date, *, several: bool) -> None:
    month = today.replace(day=1)
    entries = await hours.entries_of_month(turn.session, turn.person.id, month)
    if not entries:
        turn.say(
            _("Nothing logged in {month} yet. Type {examples}.").format(month=month_name(month), examples=_(EXAMPLES))
        )
        return
    lines = []
    for number, entry in enumerate(entries, 1):
        lines.append(f"{number}. {await _describe(turn, entry, several=several)}")
    buttons: list[Button] = []
    for number, entry in list(enumerate(entries, 1))[-SHOWN_BUTTONS:]:
        buttons.append(button(NAME, _("Change {number}").format(number=number), f"change|{entry.id}"))
        buttons.append(button(NAME, _("Delete {number}").format(number=number), f"delete|{entry.id}", "danger"))
    turn.say(
        _("Correct one with `hours change 2 1.5h` (or a category or a day), or remove it with `hours delete 2`."),
        title=_("Your entries in {month}").format(month=hours.month_label(month)),
        lines=tuple(lines),
        buttons=tuple(buttons),
    )


async def _coaches_months(turn: Turn, cohort: Cohort, program: Program, today: date) -> None:
    assert program.coach_hours is not None
    coaches = await hours.coaches_of(turn.session, cohort, program)
    totals = await hours.monthly_totals(turn.session, cohort.id)
    months = hours.months_of(cohort, today)
    lines = []
    for coach in coaches:
        shown = []
        for month in months:
            total = totals.get((coach.id, month), 0)
            if month == today.replace(day=1):
                figure = _("{month} so far {total} ({standing})")
            else:
                figure = _("{month} {total} ({standing})")
            shown.append(
                figure.format(
                    month=short_month(month),
                    total=duration(total),
                    standing=hours.standing_word(total, program.coach_hours),
                )
            )
        lines.append(f"{coach.display_name}: " + "; ".join(shown))
    if coaches:
        text = _("Each coach's monthly total against the commitment of {commitment}.").format(
            commitment=hours.commitment(program.coach_hours)
        )
        text += " " + _("Only the time is kept, never what it was spent on.")
    else:
        text = _("This cohort has no coaches yet.")
    turn.say(
        text,
        title=_("Coach hours: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(lines),
    )


async def _describe(turn: Turn, entry: HourEntry, *, several: bool = False) -> str:
    text = _("{day}: {duration} of {category}").format(
        day=hours.day_label(entry.worked_on), duration=duration(entry.minutes), category=category_words(entry.category)
    )
    if not several:
        return text
    cohort = await turn.session.get_one(Cohort, entry.cohort_id)
    program = turn.programs.get(cohort.program_id)
    return f"{text} ({program.short_name if program else cohort.program_id})"


async def _numbered(turn: Turn, number: str) -> HourEntry | None:
    month = today_in(turn.now, turn.timezone).replace(day=1)
    entries = await hours.entries_of_month(turn.session, turn.person.id, month)
    if not number.isdigit() or not 1 <= int(number) <= len(entries):
        asked = _(
            "You have {count} entries in {month}; give the number `hours` shows, like "
            "`hours change 1 1.5h` or `hours delete 1`."
        ).format(count=len(entries), month=month_name(month))
        turn.say(_then(asked, UNCHANGED))
        return None
    return entries[int(number) - 1]


async def _own(turn: Turn, entry_id: str) -> HourEntry | None:
    given_id = row_id(entry_id)
    entry = await turn.session.get(HourEntry, given_id) if given_id is not None else None
    if entry is None or entry.person_id != turn.person.id:
        turn.finish()
        turn.say(_then(_("That entry is not one of yours (or it was deleted). Type `hours` to see yours."), UNCHANGED))
        return None
    return entry


async def _delete(turn: Turn, entry: HourEntry) -> None:
    described = await _describe(turn, entry)
    await turn.session.delete(entry)
    turn.finish()
    turn.say(_("Deleted: {entry}.").format(entry=described))


async def _ask_change(turn: Turn, entry: HourEntry) -> None:
    turn.ask(
        NAME,
        "change",
        _(
            "What should {entry} become? Type a new time, category or day, or several: "
            "`1.5h`, `questions`, `yesterday` or `45m other on Friday`."
        ).format(entry=await _describe(turn, entry)),
        expects="choice",  # a short answer: a typed command (`log 1h other`) is a command, not an answer
        data={"entry_id": entry.id},
    )


async def _change(turn: Turn, entry: HourEntry, text: str) -> None:
    """Change the entry's time, category or day from what was typed; a bad answer leaves the question open."""
    cohort = await turn.session.get_one(Cohort, entry.cohort_id)
    program = turn.programs.get(cohort.program_id)
    if program is None or program.coach_hours is None:
        turn.finish()
        turn.say(_then(_("That program no longer counts coach hours, so its entries are closed."), UNCHANGED))
        return
    try:
        reading = hours.read(text, program, turn.timezone, turn.now, amount_required=False)
    except HoursError as error:
        turn.say(_then(str(error), UNCHANGED))
        return
    if reading.minutes is None and not reading.categories and reading.day is None:
        turn.say(_then(_("Tell me the new time, category or day, like `1.5h`, `questions` or `yesterday`."), UNCHANGED))
        return
    if len(reading.categories) > 1:
        could_be = either([category_words(c) for c in reading.categories])
        turn.say(_then(_("That could be {categories}; name one.").format(categories=could_be), UNCHANGED))
        return
    minutes = reading.minutes or entry.minutes
    day = reading.day or entry.worked_on
    category = reading.categories[0] if reading.categories else entry.category
    today = today_in(turn.now, turn.timezone)
    try:
        await hours.check_entry(turn.session, turn.person.id, cohort, program, day, minutes, today, replacing=entry.id)
    except HoursError as error:
        turn.say(_then(str(error), UNCHANGED))
        return
    entry.minutes, entry.worked_on, entry.category = minutes, day, category
    turn.finish()
    text = _("Changed: it is now {entry}.").format(entry=await _describe(turn, entry))
    turn.say(_then(text, LEFT_OVER) if reading.left_over else text)


# Answers and clicks


class HoursDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        active = turn.active
        if active is not None and active.step == "change":
            entry = await _own(turn, str(active.data.get("entry_id", "")))
            if entry is not None:
                await _change(turn, entry, text)
        elif active is not None and active.step == "category":
            found = await _asked(turn, "category")
            _used, named = hours.pick_category(text.split(), tuple(active.data.get("offered", ())))
            if found is not None and len(named) == 1:
                await _chosen_category(turn, *found, named[0])
            elif found is not None:
                turn.say(_("Please choose a category with the buttons above, or type `cancel`."))
        else:
            turn.say(_("Please choose a program with the buttons above, or type `cancel`."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, argument = value.partition("|")
        if action in ("change", "delete"):
            entry = await _own(turn, argument)
            if entry is not None and action == "delete":
                await _delete(turn, entry)
            elif entry is not None:
                await _ask_change(turn, entry)
        elif action == "cohort":
            await _chosen_cohort(turn, argument)
        elif action == "category":
            found = await _asked(turn, "category")
            every = categories_of(found[1]) if found else ()
            if found is not None and argument.isdigit() and int(argument) < len(every):
                await _chosen_category(turn, *found, every[int(argument)])


async def _chosen_cohort(turn: Turn, cohort_id: str) -> None:
    active = turn.active
    data = active.data if active and active.dialog == NAME and active.step == "cohort" else {}
    choice = data.get("choices", {}).get(cohort_id)
    found = await _coached(turn, cohort_id) if choice else None
    if choice is None or found is None:
        _closed(turn)
        return
    day, categories = date.fromisoformat(choice["day"]), tuple(choice["categories"])
    await _go_on(turn, *found, int(data["minutes"]), day, categories, bool(choice["left_over"]))


async def _chosen_category(turn: Turn, cohort: Cohort, program: Program, category: str) -> None:
    assert turn.active is not None
    data = turn.active.data
    day = date.fromisoformat(data["day"])
    await _go_on(turn, cohort, program, int(data["minutes"]), day, (category,), bool(data["left_over"]))


async def _asked(turn: Turn, step: str) -> tuple[Cohort, Program] | None:
    """The cohort of the open question `step`, if that question is still open and the cohort still counts."""
    active = turn.active
    found = None
    if active is not None and active.dialog == NAME and active.step == step:
        found = await _coached(turn, str(active.data.get("cohort_id", "")))
    if found is None:
        _closed(turn)
    return found


async def _coached(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    today = today_in(turn.now, turn.timezone)
    for cohort, program in await hours.coach_cohorts(turn.session, turn.roles, turn.programs, today):
        if str(cohort.id) == cohort_id:
            return cohort, program
    return None


def _closed(turn: Turn) -> None:
    turn.finish()
    turn.say(
        _then(_("That question is closed. Type `log` again, like {examples}.").format(examples=_(EXAMPLES)), NOT_LOGGED)
    )


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            LOG,
            N_("log time spent for your program outside meetings (only the time, category and day are kept)"),
            "log AMOUNT [CATEGORY] [DAY]",
            log_time,
            roles=frozenset({"coach", "mentor"}),
            serves=lambda program: program.coach_hours is not None,
        )
    )
    registry.add_command(
        Command(
            NAME,
            N_("coach hours by month against the program's commitment; change or delete this month's entries"),
            "hours [change N AMOUNT | delete N]",
            show,
            roles=frozenset({"coach", "mentor", "coordinator"}),
            serves=lambda program: program.coach_hours is not None,
        )
    )
    registry.add_dialog(HoursDialog())
