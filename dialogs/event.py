"""`event`: a cohort's orientation, kickoff, training or online meeting, for an audience.

Coordinators type `event schedule orientation | Welcome | 25 May 3pm | everyone | 30`, or less and answer
what is missing (buttons for the kind, the cohort and the audience). The time is read in their zone; the
event falls in the calendar's phase of its kind when there is one (ALCTS's orientation) and never after
the cohort's last day, and the cohort is the one the day fits (asked when several do). Everyone in the
audience is told at once with the calendar invitation. With no capacity they are all invited and get
reminders; with one they join and leave as in peer groups, with a waitlist. `event cancel N` tells them
and withdraws the reminders. `event` or `events` lists the coming events for the reader.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot import booking, gatherings, outbox
from bot.booking import local
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button, in_a_program
from bot.events import (
    COORDINATORS,
    KINDS,
    MINUTES,
    OPEN,
    audience_people,
    audience_words,
    audiences,
    capitalised,
    days_words,
    event_name,
    fits,
    kind_word,
    read_audience,
    read_kind,
    still_open,
    subject,
)
from bot.i18n import N_, _, speaking
from bot.messages import Reply
from bot.outbox import Queued
from bot.programs import Program
from bot.timezones import long_date, today_in, zone_name
from bot.when import parse_time
from dialogs import event_places
from dialogs.event_places import NAME
from storage.models import Cohort, GroupSession, Person

USAGE = N_(
    "`event schedule KIND | TITLE | WHEN | AUDIENCE | CAPACITY`, like "
    "`event schedule orientation | Welcome to the program | 25 May 3pm | everyone | 30`"
)
FIELDS = ("kind", "title", "when", "audience", "capacity")
TITLE_LENGTH = 120
SMALLEST, LARGEST = 2, 500
NO_LIMIT = ("none", "no limit", "unlimited", "-")


async def start(turn: Turn, args: str) -> None:
    verb, _space, rest = args.strip().partition(" ")
    if verb.lower() == "schedule":
        await _schedule(turn, rest)
    elif verb.lower() == "cancel":
        await event_places.cancel(turn, rest.strip())
    elif verb:
        turn.say(
            _("Type `events` to see the coming events. Coordinators: {usage}, and `event cancel NUMBER`.").format(
                usage=_(USAGE)
            )
        )
    else:
        await event_places.show(turn, _(USAGE))


# Scheduling (coordinators)


async def _schedule(turn: Turn, rest: str) -> None:
    cohorts = await _scheduling_cohorts(turn)
    if cohorts is None:
        turn.say(_("Only a program's coordinators can schedule events. Nothing was scheduled."))
        return
    if not cohorts:
        turn.say(_("All the cohorts you coordinate have ended. Nothing was scheduled."))
        return
    parts = [" ".join(part.split()) for part in rest.split("|")] if rest.strip() else []
    if len(parts) > len(FIELDS):
        turn.say(_("Write it as {usage}. Nothing was scheduled.").format(usage=_(USAGE)))
        return
    draft: dict[str, Any] = {}
    for field, typed in zip(FIELDS, parts, strict=False):
        problem = _set(turn, draft, field, typed) if typed else None
        if problem:
            turn.say(_("{problem} Nothing was scheduled.").format(problem=problem))
            return
    if len(parts) >= 4:  # the audience given and no capacity: they are all invited
        draft.setdefault("capacity", OPEN)
    await _next(turn, draft)


def _set(turn: Turn, draft: dict[str, Any], field: str, typed: str) -> str | None:
    """Put one typed field in the draft; or why it cannot be used."""
    if field == "kind":
        draft["kind"] = read_kind(typed)
        if draft["kind"]:
            return None
        return _("`{typed}` is not a kind of event: {kinds}.").format(
            typed=typed[:30], kinds=", ".join(f"`{k}`" for k in KINDS)
        )
    if field == "title":
        if len(typed) > TITLE_LENGTH:
            return _("Please keep the title to {length} characters.").format(length=TITLE_LENGTH)
        draft["title"] = typed
        return None
    if field == "when":
        parsed = parse_time(typed, turn.timezone, turn.now)
        if parsed is None:
            return _("I couldn't read `{typed}` as a time. Try `25 May 3pm` or `next Tuesday 10:00`.").format(
                typed=typed[:60]
            )
        if parsed.at <= turn.now:
            return _("That time has already passed: please give a time in the future.")
        draft |= {"at": parsed.at.isoformat(), "why": parsed.why}
        return None
    if field == "audience":
        draft["audience_typed"] = typed[:40]  # read once the cohort, and so the program, is known
        return None
    capacity = _capacity(typed)
    if capacity is None:
        return _("The capacity must be a whole number from {smallest} to {largest}, or `none`, not `{typed}`.").format(
            smallest=SMALLEST, largest=LARGEST, typed=typed[:20]
        )
    draft["capacity"] = capacity
    return None


def _capacity(typed: str) -> int | None:
    if typed.lower() in NO_LIMIT:
        return OPEN
    if not (typed.isascii() and typed.isdigit()) or not SMALLEST <= int(typed) <= LARGEST:
        return None
    return int(typed)


async def _next(turn: Turn, draft: dict[str, Any]) -> None:
    """Ask for what is missing, one thing at a time; schedule once all is known."""
    if not draft.get("kind"):
        buttons = tuple(button(NAME, capitalised(kind_word(kind)), f"kind|{kind}") for kind in KINDS)
        turn.ask(NAME, "kind", _("Which kind of event?"), expects="choice", buttons=buttons, data=draft)
    elif "title" not in draft:
        question = _("What is the {kind}'s title? Like `Welcome to the program`.").format(kind=kind_word(draft["kind"]))
        turn.ask(NAME, "title", question, data=draft)
    elif "at" not in draft:
        zone = zone_name(turn.timezone)
        turn.ask(
            NAME, "when", _("When is it? Like `25 May 3pm`, in your time zone, {zone}.").format(zone=zone), data=draft
        )
    elif "cohort_id" not in draft:
        await _choose_cohort(turn, draft)
    elif "audience" not in draft:
        await _choose_audience(turn, draft)
    elif "capacity" not in draft:
        turn.ask(
            NAME,
            "capacity",
            _(
                "How many places? Type a number from {smallest} to {largest}: people then join, with a waitlist. "
                "Or no limit: everyone it is for is simply invited."
            ).format(smallest=SMALLEST, largest=LARGEST),
            buttons=(button(NAME, _("No limit: invite them all"), "capacity|0", "primary"),),
            data=draft,
        )
    elif draft.get("why"):
        program, cohort = await _chosen(turn, draft) or (None, None)
        if program is None or cohort is None:
            await _create(turn, draft)  # says why it cannot
            return
        turn.ask(
            NAME,
            "confirm",
            _("{why} So: {summary}. Schedule it?").format(
                why=draft["why"], summary=_summary(turn, draft, program, cohort)
            ),
            expects="choice",
            buttons=(
                button(NAME, _("Schedule it"), "confirm", "primary"),
                button(NAME, _("Don't schedule"), "drop"),
            ),
            data=draft,
        )
    else:
        await _create(turn, draft)


async def _scheduling_cohorts(turn: Turn) -> list[tuple[Program, Cohort]] | None:
    """The cohorts this person coordinates that have not ended; None: a coordinator of no program."""
    programs = {program.id: program for program in turn.programs if turn.roles.coordinates(program.id)}
    if not programs:
        return None
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_(sorted(programs)), turn.roles.coordinated_cohorts())
        .where(Cohort.ends_on >= today_in(turn.now, turn.timezone))
        .order_by(Cohort.program_id, Cohort.starts_on, Cohort.id)
    )
    return [(programs[cohort.program_id], cohort) for cohort in (await turn.session.execute(query)).scalars()]


async def _fitting(turn: Turn, draft: dict[str, Any]) -> tuple[list[tuple[Program, Cohort]], list[str]]:
    """The cohorts the event's day fits, and for the refusal each open cohort's allowed days."""
    kind, day = draft["kind"], today_in(datetime.fromisoformat(draft["at"]), turn.timezone)
    today = today_in(turn.now, turn.timezone)
    open_ = [(p, c) for p, c in await _scheduling_cohorts(turn) or [] if still_open(c, kind, today)]
    return [(p, c) for p, c in open_ if fits(c, kind, day)], [days_words(p, c, kind) for p, c in open_]


async def _choose_cohort(turn: Turn, draft: dict[str, Any]) -> None:
    fitting, allowed = await _fitting(turn, draft)
    if len(fitting) == 1:
        draft["cohort_id"] = fitting[0][1].id
        await _next(turn, draft)
    elif not fitting:
        turn.finish()
        day = long_date(today_in(datetime.fromisoformat(draft["at"]), turn.timezone))
        if not allowed:
            turn.say(
                _("The {kind} phase of every cohort you coordinate has passed. Nothing was scheduled.").format(
                    kind=kind_word(draft["kind"])
                )
            )
        elif len(allowed) == 1:
            turn.say(_("{problem} Nothing was scheduled.").format(problem=allowed[0]))
        else:
            turn.say(
                _("{day} fits none of the cohorts you coordinate. Nothing was scheduled.").format(day=day),
                lines=tuple(allowed),
            )
    else:
        buttons = tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for p, c in fitting)
        question = _("For which cohort is {title}?").format(title=draft["title"])
        turn.ask(NAME, "cohort", question, expects="choice", buttons=buttons, data=draft)


async def _choose_audience(turn: Turn, draft: dict[str, Any]) -> None:
    program, _cohort = await _chosen(turn, draft) or (None, None)
    if program is None:
        await _create(turn, draft)  # says why it cannot
        return
    typed = draft.pop("audience_typed", None)
    if not typed:
        buttons = tuple(
            button(NAME, capitalised(audience_words(program, a)), f"audience|{a}") for a in audiences(program)
        )
        question = _("Who is the {kind} for?").format(kind=kind_word(draft["kind"]))
        turn.ask(NAME, "audience", question, expects="choice", buttons=buttons, data=draft)
        return
    draft["audience"] = read_audience(program, typed)
    if draft["audience"] is None:
        turn.finish()
        choices = ", ".join(audience_words(program, a) for a in audiences(program))
        turn.say(
            _("`{typed}` is not an audience of the {program}: {choices}. Nothing was scheduled.").format(
                typed=typed, program=program.short_name, choices=choices
            )
        )
        return
    await _next(turn, draft)


async def _chosen(turn: Turn, draft: dict[str, Any]) -> tuple[Program, Cohort] | None:
    """The draft's cohort, if this person may still schedule for it."""
    found = [(p, c) for p, c in await _scheduling_cohorts(turn) or [] if c.id == draft.get("cohort_id")]
    return found[0] if found else None


def _summary(turn: Turn, draft: dict[str, Any], program: Program, cohort: Cohort) -> str:
    kind, audience, capacity = draft["kind"], draft["audience"], draft["capacity"]
    words = {
        "event": capitalised(event_name(kind, audience, program)),
        "title": draft["title"],
        "when": local(datetime.fromisoformat(draft["at"]), turn.timezone),
        "minutes": MINUTES[kind],
        "audience": audience_words(program, audience),
        "cohort": cohort_in_sentence(cohort, program),
    }
    if capacity == OPEN:
        return _("{event}: {title}, {when}, {minutes} minutes, for {audience} of {cohort}, everyone invited").format(
            **words
        )
    return _("{event}: {title}, {when}, {minutes} minutes, for {audience} of {cohort}, {capacity} places").format(
        capacity=capacity, **words
    )


async def _create(turn: Turn, draft: dict[str, Any]) -> None:
    turn.finish()
    chosen = await _chosen(turn, draft)
    starts_at = datetime.fromisoformat(draft["at"])
    if chosen is None:
        turn.say(_("You no longer coordinate that cohort, or it has ended. Nothing was scheduled."))
        return
    program, cohort = chosen
    if starts_at <= turn.now:
        turn.say(_("That time has passed in the meantime. Nothing was scheduled."))
        return
    if not fits(cohort, draft["kind"], today_in(starts_at, turn.timezone)):
        turn.say(_("{problem} Nothing was scheduled.").format(problem=days_words(program, cohort, draft["kind"])))
        return
    minutes, capacity = MINUTES[draft["kind"]], draft["capacity"]
    event = await gatherings.create(
        turn.session,
        cohort.id,
        draft["title"],
        starts_at,
        minutes,
        capacity,
        turn.person,
        turn.now,
        kind=draft["kind"],
        audience=draft["audience"],
    )
    people = await audience_people(turn.session, cohort, program, event.audience or COORDINATORS)
    told = [person for person in people if person.id != turn.person.id]
    news = []
    for person in told:
        with speaking(person.language):
            news.append(Queued(person.id, _news(turn, event, program, cohort, person)))
    await outbox.queue_each(turn.session, news, kind="event", now=turn.now)
    if event.capacity == OPEN:  # no joining: everyone it is for is reminded
        for person in people:
            with speaking(person.language):
                booking.queue_reminders(
                    turn.session,
                    person,
                    subject(event, program),
                    starts_at,
                    ref=event_places.everyone_ref(event),
                    now=turn.now,
                )
    turn.say(
        _("Scheduled: {summary}. I told {people}.").format(
            summary=_summary(turn, draft, program, cohort), people=event_places.people(len(told))
        ),
        lines=(
            _("Calendar invitation: {link}").format(link=gatherings.link(turn.public_url, event)),
            _("To cancel it: `event cancel {number}`").format(number=event.id),
        ),
    )


def _news(turn: Turn, event: GroupSession, program: Program, cohort: Cohort, person: Person) -> Reply:
    """The news of a new event for one of its audience, in their language (speaking it is the caller's)."""
    zone = person.timezone or "UTC"
    words = {
        "title": event.title,
        "when": local(event.starts_at, zone),
        "minutes": MINUTES.get(event.kind, 60),
        "audience": audience_words(program, event.audience or COORDINATORS),
    }
    if event.capacity != OPEN:
        text = _(
            "{title}: {when}, {minutes} minutes, for {audience}. Join to take one of its places. "
            "`events` lists the coming events."
        ).format(**words)
    else:
        text = _(
            "{title}: {when}, {minutes} minutes, for {audience}. You are invited. `events` lists the coming events."
        ).format(**words)
    return Reply(
        text,
        title=_("{event} of {cohort}").format(
            event=capitalised(event_name(event.kind, event.audience, program)), cohort=cohort_label(cohort, program)
        ),
        lines=(_("Calendar invitation: {link}").format(link=gatherings.link(turn.public_url, event)),),
        buttons=(button(NAME, _("Join"), f"join|{event.id}", "primary"),) if event.capacity != OPEN else (),
    )


class EventDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        draft = dict(turn.active.data) if turn.active and turn.active.dialog == NAME else None
        step = turn.active.step if turn.active else ""
        if draft is None:
            turn.finish()
            turn.say(_("Start again with {usage}.").format(usage=_(USAGE)))
            return
        typed = " ".join(text.split())
        if step in ("kind", "title", "when", "capacity"):
            problem = _set(turn, draft, step, typed) if typed else _("Please type an answer.")
        elif step == "audience":
            program, _cohort = await _chosen(turn, draft) or (None, None)
            known = program is not None and read_audience(program, typed) is not None
            draft["audience_typed"] = typed[:40] if known else None
            problem = (
                None
                if known
                else _("`{typed}` is not one of those: please choose with the buttons.").format(typed=typed[:40])
            )
        else:
            problem = _("Please use the buttons above, or type `cancel` to stop.")
        if problem:
            turn.say(problem)
        await _next(turn, draft)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, rest = value.partition("|")
        if action in ("join", "leave"):
            found = await event_places.own_event(turn, rest)
            if found is not None:
                await (event_places.join if action == "join" else event_places.leave)(turn, *found)
            return
        active = turn.active if turn.active and turn.active.dialog == NAME else None
        if action == "drop" or active is None or active.step != action:
            turn.finish()
            if action == "drop":
                turn.say(_("Fine: nothing was scheduled."))
            else:
                turn.say(_("That question is out of date. {usage}.").format(usage=_(USAGE)))
            return
        draft = dict(active.data)
        if action == "kind":
            draft["kind"] = read_kind(rest)
        elif action == "cohort":
            fitting, _allowed = await _fitting(turn, draft)
            if not any(str(cohort.id) == rest for _program, cohort in fitting):
                turn.finish()
                turn.say(_("You can't schedule that event for that cohort. Nothing was scheduled."))
                return
            draft["cohort_id"] = int(rest)
        elif action == "audience":
            draft["audience_typed"] = rest
        elif action == "capacity":
            draft["capacity"] = OPEN
        elif action == "confirm":
            draft["why"] = None
        await _next(turn, draft)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "event",
            N_(
                "coming orientations, kickoffs, trainings and meetings: see, join or leave (coordinators: schedule, "
                "cancel)"
            ),
            "event [schedule KIND | TITLE | WHEN | AUDIENCE | CAPACITY] [cancel NUMBER]",
            start,
            serves=in_a_program,
        )
    )
    registry.add_command(
        Command("events", N_("the coming events for you, the same as `event`"), "events", start, serves=in_a_program)
    )
    registry.add_dialog(EventDialog())
