"""`group`: peer-group sessions. Participants see the coming groups of their cohorts and join or leave
them; coordinators schedule them.

`group schedule Leading change | next Tuesday 3pm | 8` reads the time in the coordinator's zone, checks
it against the cohort's peer-group window, asks which cohort when there are several and asks to confirm
when the phrase left something open; every participant of the cohort is then told, with a Join button.
`group` lists the coming groups, each in the reader's own zone with the places left, and how many of
the program's sessions the reader has joined. Joining takes a numbered seat and the reader's busy
quarter hours; a full group puts the person on its waitlist. Leaving frees the seat, and the first
person waiting who is free then and under the program's count gets it and is told. Seats, waitlists
and busy quarter hours work as for events with places: bot/gatherings.py holds them for both.
"""

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import gatherings, outbox
from bot.booking import local
from bot.cohorts import cohort_in_sentence, cohort_label, has_members, peer_groups_phase
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.events import PEER_GROUP
from bot.i18n import N_, _, ngettext, speaking
from bot.messages import Button, Reply
from bot.programs import Program
from bot.timezones import date_span, today_in
from bot.when import parse_time
from storage.models import Cohort, GroupSeat, GroupSession, Membership, Person

NAME = "group"
USAGE = N_("`group schedule TITLE | WHEN | CAPACITY`, like `group schedule Leading change | next Tuesday 3pm | 8`")
DEFAULT_CAPACITY = 8
SMALLEST, LARGEST = 2, 50
TITLE_LENGTH = 120
LABEL_LENGTH = 40
SHOWN = 10  # groups listed with buttons
MARKS = {gatherings.SEATED: N_(" (you are in)"), gatherings.WAITING: N_(" (you are on the waitlist)")}


async def start(turn: Turn, args: str) -> None:
    verb, _unused, rest = args.strip().partition(" ")
    if verb.lower() == "schedule":
        await _schedule(turn, rest)
    elif verb:
        turn.say(
            _("Type `group` to see the peer-group sessions you can join. Coordinators: {usage}.").format(usage=_(USAGE))
        )
    else:
        await _list(turn)


# Scheduling (coordinators)


async def _schedule(turn: Turn, rest: str) -> None:
    cohorts = await _scheduling_cohorts(turn)
    if cohorts is None:
        turn.say(
            _("Only a coordinator of a program with peer-group sessions can schedule them. Nothing was scheduled.")
        )
        return
    if not cohorts:
        turn.say(_("The peer-group windows of all the cohorts you coordinate have closed. Nothing was scheduled."))
        return
    parts = [part.strip() for part in rest.split("|")]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        turn.say(_("Write it as {usage}. Nothing was scheduled.").format(usage=_(USAGE)))
        return
    title, when = " ".join(parts[0].split()), parts[1]
    if len(title) > TITLE_LENGTH:
        turn.say(
            ngettext(
                "Please keep the title to {count} character. Nothing was scheduled.",
                "Please keep the title to {count} characters. Nothing was scheduled.",
                TITLE_LENGTH,
            ).format(count=TITLE_LENGTH)
        )
        return
    capacity = _capacity(parts[2] if len(parts) == 3 else "")
    if capacity is None:
        turn.say(
            _(
                "The capacity must be a whole number from {smallest} to {largest}, not `{typed}`. "
                "Nothing was scheduled."
            ).format(smallest=SMALLEST, largest=LARGEST, typed=parts[2][:20])
        )
        return
    parsed = parse_time(when, turn.timezone, turn.now)
    if parsed is None:
        turn.say(
            _(
                "I couldn't read `{typed}` as a time. Try `next Tuesday 3pm`, `tomorrow 10:00` or "
                "`3 March 14:00`. Nothing was scheduled."
            ).format(typed=when[:60])
        )
        return
    if parsed.at <= turn.now:
        turn.say(_("That time has already passed: please give a time in the future. Nothing was scheduled."))
        return
    draft = {"title": title, "at": parsed.at.isoformat(), "capacity": capacity, "why": parsed.why}
    if len(cohorts) == 1:
        await _check_and_confirm(turn, *cohorts[0], draft)
        return
    buttons = tuple(button(NAME, cohort_label(cohort, program), f"cohort|{cohort.id}") for program, cohort in cohorts)
    question = _("For which cohort is {title}?").format(title=title)
    turn.ask(NAME, "cohort", question, expects="choice", buttons=buttons, data=draft)


def _capacity(typed: str) -> int | None:
    if not typed:
        return DEFAULT_CAPACITY
    if not (typed.isascii() and typed.isdigit()) or not SMALLEST <= int(typed) <= LARGEST:
        return None
    return int(typed)


async def _scheduling_cohorts(turn: Turn) -> list[tuple[Program, Cohort]] | None:
    """The cohorts whose peer groups this person may schedule and that have not closed; None: not a
    coordinator of any program with peer groups."""
    programs = [p for p in turn.programs if p.peer_groups is not None and turn.roles.coordinates(p.id)]
    if not programs:
        return None
    today = today_in(turn.now, turn.timezone)
    found = []
    with_groups = Cohort.program_id.in_([program.id for program in programs])
    for cohort, program in await turn.coordinated_cohorts(with_groups, has_members()):
        window = _window(cohort, program)
        if window is None or window[1] >= today:
            found.append((program, cohort))
    return found


def _window(cohort: Cohort, program: Program) -> tuple[date, date] | None:
    """The days peer groups may fall on: their phase, and never after the cohort's end."""
    phase = peer_groups_phase(cohort, program)
    return (phase.opens, min(phase.closes, cohort.ends_on)) if phase else None


async def _check_and_confirm(turn: Turn, program: Program, cohort: Cohort, draft: dict[str, object]) -> None:
    """Refuse a time outside the window; ask first when the phrase left something open; else schedule."""
    starts_at = datetime.fromisoformat(str(draft["at"]))
    window = _window(cohort, program)
    if window is not None and not window[0] <= today_in(starts_at, turn.timezone) <= window[1]:
        turn.finish()
        turn.say(
            _("Peer-group sessions of {cohort} take place from {dates}. Nothing was scheduled.").format(
                cohort=cohort_in_sentence(cohort, program), dates=date_span(*window)
            )
        )
        return
    if draft.get("why"):
        turn.ask(
            NAME,
            "confirm",
            _("{why} So: {title}, {when}, {capacity} places, for {cohort}. Schedule it?").format(
                why=draft["why"],
                title=draft["title"],
                when=local(starts_at, turn.timezone),
                capacity=draft["capacity"],
                cohort=cohort_in_sentence(cohort, program),
            ),
            expects="choice",
            buttons=(
                button(NAME, _("Schedule it"), f"confirm|{cohort.id}", "primary"),
                button(NAME, _("Don't schedule"), "drop"),
            ),
            data={**draft, "why": None},
        )
        return
    await _create(turn, program, cohort, str(draft["title"]), starts_at, int(str(draft["capacity"])))


async def _create(turn: Turn, program: Program, cohort: Cohort, title: str, starts_at: datetime, capacity: int) -> None:
    turn.finish()
    if starts_at <= turn.now:
        turn.say(_("That time has passed in the meantime. Nothing was scheduled."))
        return
    assert program.peer_groups is not None
    minutes = program.peer_groups.minutes
    group = await gatherings.create(turn.session, cohort.id, title, starts_at, minutes, capacity, turn.person, turn.now)
    participants = await _participants(turn.session, program, cohort.id)
    for person in participants:
        with speaking(person.language):
            told = Reply(
                _(
                    "{title}: {when}, {minutes} minutes, {capacity} places. "
                    "`group` lists all the peer-group sessions you can join."
                ).format(
                    title=title, when=local(starts_at, person.timezone or "UTC"), minutes=minutes, capacity=capacity
                ),
                title=_("A new peer-group session of the {program}").format(program=program.short_name),
                buttons=(button(NAME, _("Join"), f"join|{group.id}", "primary"),),
            )
        outbox.queue(turn.session, person.id, told, kind="group", now=turn.now)
    turn.say(
        _(
            "Scheduled: {title}, {when}, {minutes} minutes, {capacity} places, for {cohort}. "
            "I told the {count} participants."
        ).format(
            title=title,
            when=local(starts_at, turn.timezone),
            minutes=minutes,
            capacity=capacity,
            cohort=cohort_in_sentence(cohort, program),
            count=len(participants),
        ),
        lines=(_invitation(turn, group),),
    )


async def _participants(session: AsyncSession, program: Program, cohort_id: int) -> list[Person]:
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == program.guided_role)
        .order_by(Person.id)
    )
    return list((await session.execute(query)).scalars())


# Seeing the groups


async def _list(turn: Turn) -> None:
    mine = _participant_cohorts(turn)
    coordinated = await _scheduling_cohorts(turn) or []
    if not mine and not coordinated:
        turn.say(_("You are not in a program with peer-group sessions."))
        return
    if mine:
        await _list_to_join(turn, mine)
    others = [(program, cohort) for program, cohort in coordinated if cohort.id not in mine]
    if others:
        await _list_coordinated(turn, others)


def _participant_cohorts(turn: Turn) -> dict[int, Program]:
    """cohort id -> program, for the cohorts where this person is a participant (mentee, partner)."""
    found = {}
    for entry in turn.roles.in_cohorts:
        program = turn.programs.get(entry.program_id)
        if program is not None and program.peer_groups is not None and entry.role == program.guided_role:
            found[entry.cohort_id] = program
    return found


async def _upcoming(turn: Turn, cohort_ids: list[int]) -> list[GroupSession]:
    query = (
        select(GroupSession)
        .where(
            GroupSession.cohort_id.in_(cohort_ids),
            GroupSession.kind == PEER_GROUP,
            GroupSession.status == "scheduled",
            GroupSession.starts_at > turn.now,
        )
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    return list((await turn.session.execute(query)).scalars())


async def _list_to_join(turn: Turn, mine: dict[int, Program]) -> None:
    groups = await _upcoming(turn, list(mine))
    seated, waiting = await gatherings.counts(turn.session, [g.id for g in groups])
    held = await gatherings.held(turn.session, turn.person.id, [g.id for g in groups])
    lines, buttons = [], []
    for group in groups:
        held_as = held.get(group.id, "")
        mark = _(MARKS[held_as]) if held_as in MARKS else ""
        lines.append(f"{_when(turn, group)}: {_places(group, seated, waiting)}{mark}")
        if len(buttons) < SHOWN:
            if group.id in held:
                label, action, style = _("Leave {title}"), "leave", "default"
            else:
                label, action, style = _("Join {title}"), "join", "primary"
            buttons.append(button(NAME, label.format(title=_short(group.title)), f"{action}|{group.id}", style))
    tallies = [
        _tally(program, await _joined(turn.session, turn.person.id, cohort_id)) for cohort_id, program in mine.items()
    ]
    if not groups:
        turn.say(
            " ".join([_("No peer-group sessions are coming up yet; I will tell you when one is scheduled."), *tallies])
        )
        return
    turn.say(" ".join(tallies), title=_("Coming peer-group sessions"), lines=tuple(lines), buttons=tuple(buttons))


async def _list_coordinated(turn: Turn, cohorts: list[tuple[Program, Cohort]]) -> None:
    groups = await _upcoming(turn, [cohort.id for _program, cohort in cohorts])
    seated, waiting = await gatherings.counts(turn.session, [g.id for g in groups])
    lines = tuple(f"{_when(turn, group)}: {_places(group, seated, waiting)}" for group in groups)
    text = _("To schedule one: {usage}.").format(usage=_(USAGE))
    if not groups:
        text = _("No peer-group sessions are coming up in the cohorts you coordinate.") + " " + text
    turn.say(text, title=_("Peer-group sessions you coordinate"), lines=lines)


def _when(turn: Turn, group: GroupSession) -> str:
    return f"{group.title}, {local(group.starts_at, turn.timezone)}"


def _places(group: GroupSession, seated: dict[int, int], waiting: dict[int, int]) -> str:
    left = group.capacity - seated.get(group.id, 0)
    if left > 0:
        return _("{left} of {capacity} places left").format(left=left, capacity=group.capacity)
    return _("full: {count} waiting").format(count=waiting.get(group.id, 0))


def _short(title: str) -> str:
    return title if len(title) <= LABEL_LENGTH else title[: LABEL_LENGTH - 1] + "…"


def _tally(program: Program, joined: int) -> str:
    assert program.peer_groups is not None
    planned = program.peer_groups.quota_words()
    if not planned:
        return _("You have joined {joined} peer-group sessions of the {program}.").format(
            joined=joined, program=program.short_name
        )
    return _("You have joined {joined} of {planned} peer-group sessions of the {program}.").format(
        joined=joined, planned=planned, program=program.short_name
    )


async def _joined(session: AsyncSession, person_id: int, cohort_id: int) -> int:
    """The scheduled groups of the cohort the person holds a seat in, past and coming: the program's count."""
    query = (
        select(func.count())
        .select_from(GroupSeat)
        .join(GroupSession, GroupSession.id == GroupSeat.group_id)
        .where(GroupSeat.person_id == person_id, GroupSession.cohort_id == cohort_id)
        .where(GroupSession.kind == PEER_GROUP, GroupSession.status == "scheduled")
    )
    return (await session.execute(query)).scalar_one()


# Joining and leaving


async def _join(turn: Turn, group: GroupSession, program: Program) -> None:
    session, person_id = turn.session, turn.person.id
    if await gatherings.seat_of(session, group.id, person_id) is not None:
        turn.say(_("You are already in {group}.").format(group=_when(turn, group)), buttons=(_leave_button(group),))
        return
    joined = await _joined(session, person_id, group.cohort_id)
    assert program.peer_groups is not None
    count = program.peer_groups.maximum  # a minimum is never a cap
    if count is not None and joined >= count:
        turn.say(
            _(
                "You have already joined {joined} of the {count} peer-group sessions of the {program}: "
                "leave one before joining another. Nothing changed."
            ).format(joined=joined, count=count, program=program.short_name)
        )
        return
    taken, position = await gatherings.join(session, group, person_id, turn.now)
    not_seated = gatherings.not_seated_words(taken, position, _when(turn, group), "group")
    if taken == gatherings.WAITING:
        turn.say(str(not_seated), buttons=(button(NAME, _("Leave the waitlist"), f"leave|{group.id}"),))
    elif not_seated is not None:
        turn.say(not_seated)
    else:
        _remind(session, group, turn.person, turn.now)
        you_are_in = _("You are in: {group}, {minutes} minutes.").format(
            group=_when(turn, group), minutes=program.peer_groups.minutes
        )
        turn.say(
            you_are_in + " " + _tally(program, joined + 1),
            lines=(_invitation(turn, group),),
            buttons=(_leave_button(group),),
        )


async def _leave(turn: Turn, group: GroupSession, program: Program) -> None:
    session, person_id = turn.session, turn.person.id
    left = await gatherings.leave(session, group, person_id)
    if left != gatherings.SEATED:
        if left == gatherings.WAITING:
            turn.say(_("You are off the waitlist of {group}.").format(group=_when(turn, group)))
        else:
            turn.say(_("You are not in {group}, so there is nothing to leave.").format(group=_when(turn, group)))
        return
    await _give_place_to_first_waiting(turn, group, program)
    joined = await _joined(session, person_id, group.cohort_id)
    turn.say(_("You left {group}.").format(group=_when(turn, group)) + " " + _tally(program, joined))


async def _give_place_to_first_waiting(turn: Turn, group: GroupSession, program: Program) -> None:
    """The first person waiting who is free then and under the program's count gets the place."""
    session = turn.session
    assert program.peer_groups is not None
    count = program.peer_groups.maximum

    async def under_count(person_id: int) -> bool:
        return count is None or await _joined(session, person_id, group.cohort_id) < count

    person = await gatherings.give_place_to_first_waiting(session, group, turn.now, under_count)
    if person is None:
        return
    joined = await _joined(session, person.id, group.cohort_id)
    with speaking(person.language):
        _remind(session, group, person, turn.now)
        given = _("A place freed up in {title}, {when}, and it is yours: you are in.").format(
            title=group.title, when=local(group.starts_at, person.timezone or "UTC")
        )
        told = Reply(
            given + " " + _tally(program, joined),
            title=_("You have a place in a peer-group session"),
            lines=(_invitation(turn, group),),
            buttons=(_leave_button(group),),
        )
    outbox.queue(session, person.id, told, kind="group", now=turn.now)


def _remind(session: AsyncSession, group: GroupSession, person: Person, now: datetime) -> None:
    """Reminders for `person`, who holds a seat (the caller speaks their language)."""
    gatherings.remind(session, group, person, _("the peer-group session {title}").format(title=group.title), now)


def _invitation(turn: Turn, group: GroupSession) -> str:
    return _("Calendar invitation: {link}").format(link=gatherings.link(turn.public_url, group))


def _leave_button(group: GroupSession) -> Button:
    return button(NAME, _("Leave"), f"leave|{group.id}")


async def _own_group(turn: Turn, group_id: str) -> tuple[GroupSession, Program] | None:
    """The group, when it is a coming one of a cohort this person is a participant of; else says why."""
    given_id = row_id(group_id)
    group = await turn.session.get(GroupSession, given_id) if given_id is not None else None
    if group is not None and group.kind != PEER_GROUP:  # an event's id: not a peer group
        group = None
    program = _participant_cohorts(turn).get(group.cohort_id) if group is not None else None
    if group is None or program is None:
        turn.say(_("That peer-group session is not one of your cohorts'. Type `group` to see yours. Nothing changed."))
        return None
    if group.status != "scheduled":
        turn.say(_("{title} was cancelled. Type `group` to see the others. Nothing changed.").format(title=group.title))
        return None
    if group.starts_at <= turn.now:
        turn.say(_("{group} has already started. Nothing changed.").format(group=_when(turn, group)))
        return None
    return group, program


class GroupDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or start again with {usage}.").format(usage=_(USAGE)))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _unused, rest = value.partition("|")
        if action in ("join", "leave"):
            found = await _own_group(turn, rest)
            if found is not None:
                await (_join if action == "join" else _leave)(turn, *found)
            return
        draft = turn.active.data if turn.active and turn.active.dialog == NAME else None
        if action == "drop" or draft is None or "title" not in draft:
            turn.finish()
            if action == "drop":
                turn.say(_("Fine: nothing was scheduled."))
            else:
                turn.say(_("That question is out of date. {usage}.").format(usage=_(USAGE)))
            return
        chosen = [(p, c) for p, c in await _scheduling_cohorts(turn) or [] if str(c.id) == rest]
        if not chosen:
            turn.finish()
            turn.say(_("You can't schedule peer groups for that cohort. Nothing was scheduled."))
            return
        if action in ("cohort", "confirm"):  # a confirmed draft has no `why` left: it is scheduled
            await _check_and_confirm(turn, *chosen[0], draft)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("peer-group sessions: see, join or leave (coordinators: schedule)"),
            "group [schedule TITLE | WHEN | CAPACITY]",
            start,
            serves=lambda program: program.peer_groups is not None,
        )
    )
    registry.add_dialog(GroupDialog())
