"""A cohort's events besides its peer groups: an orientation, a kickoff, a training or an online meeting,
each for an audience: everyone in the cohort, one of its roles, or the coordinators.

An event is a row of group_sessions with its kind and audience, so it has the peer groups' places,
waitlist and reminders (bot/gatherings.py) and calendar file; with no capacity (OPEN) its whole
audience is invited and nobody joins. Its dates follow the cohort's calendar: when the program's
calendar has a phase whose id is the kind (ALCTS's `orientation`, 22-26 May), the event falls inside
that phase; every event falls on or before the cohort's last day. The coordinators of a program with
regions (the coordinator network) are the whole network's; elsewhere they are the cohort's.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import invites
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.cycle import dated_phase
from bot.i18n import N_, _, program_words, role_word
from bot.network import cohort_coordinators, national_coordinators, region_coordinators
from bot.programs import Program, ProgramCatalog
from bot.reports import role_plural
from bot.roles import Roles
from bot.timezones import date_span, long_date
from storage.models import Cohort, GroupSeat, GroupSession, Membership, Person

PEER_GROUP = "peer-group"  # the kind of a peer-group session, the table's other rows
KINDS = ("orientation", "kickoff", "training", "meeting")
# A kind as a sentence names it: "What is the orientation's title?"
KIND_NAMES = {
    "orientation": N_("orientation"),
    "kickoff": N_("kickoff"),
    "training": N_("training"),
    "meeting": N_("meeting"),
}
KIND_WORDS = {"kick-off": "kickoff", "kick off": "kickoff", "online meeting": "meeting"}
MINUTES = {"orientation": 90, "kickoff": 60, "training": 90, "meeting": 60}
EVERYONE, COORDINATORS = "everyone", "coordinators"
AUDIENCE_WORDS = {"all": EVERYONE, "cohort": EVERYONE, "the cohort": EVERYONE, "coordinator": COORDINATORS}
OPEN = 0  # the capacity of an event its whole audience is invited to: nobody joins


# What coordinators type


def read_kind(typed: str) -> str | None:
    word = " ".join(typed.lower().split())
    word = KIND_WORDS.get(word, word)
    return word if word in KINDS else None


def audiences(program: Program) -> tuple[str, ...]:
    """everyone, each role of the program but the coordinators', and the coordinators."""
    return (EVERYONE, *(role for role in program.roles if role != "coordinator"), COORDINATORS)


def read_audience(program: Program, typed: str) -> str | None:
    """An audience of the program from "everyone", "mentees", "the mentors", "coordinators"..."""
    word = " ".join(typed.lower().split())
    word = AUDIENCE_WORDS.get(word, word).removeprefix("the ")
    return next((a for a in audiences(program) if word in (a, role_plural(a))), None)


# Words


def kind_word(kind: str) -> str:
    """ "orientation", "kickoff", "training", "meeting" in the reader's language."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def audience_words(program: Program, audience: str) -> str:
    if audience == EVERYONE:
        return _("everyone in the cohort")
    if audience == COORDINATORS:
        return _("the network's coordinators") if program.regions else _("the cohort's coordinators")
    return _("the {role}").format(role=role_word(audience, 2))


def event_name(kind: str, audience: str | None, program: Program) -> str:
    """ "orientation", "coordinator training", "online meeting of the network's coordinators"..."""
    if kind == "training" and audience == COORDINATORS:
        return _("coordinator training")
    if kind == "meeting" and audience == COORDINATORS:
        if program.regions:
            return _("online meeting of the network's coordinators")
        return _("online meeting of the cohort's coordinators")
    if kind == "orientation":
        return _("orientation")
    if kind == "kickoff":
        return _("kickoff meeting")
    if kind == "training":
        return _("training")
    return _("online meeting")


def subject(event: GroupSession, program: Program) -> str:
    """What a reminder is about: "the orientation Welcome to the program"."""
    return _("the {event} {title}").format(event=event_name(event.kind, event.audience, program), title=event.title)


def capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


# Dates


def allowed_days(cohort: Cohort, kind: str) -> tuple[date | None, date]:
    """The days an event of this kind may fall on: its phase when the calendar has one, never after the
    cohort's last day; with no phase (first day None) any coming day up to the cohort's last day."""
    phase = dated_phase(cohort.calendar, kind)
    if phase is None:
        return None, cohort.ends_on
    return phase.opens, min(phase.closes, cohort.ends_on)


def fits(cohort: Cohort, kind: str, day: date) -> bool:
    first, last = allowed_days(cohort, kind)
    return (first is None or first <= day) and day <= last


def still_open(cohort: Cohort, kind: str, today: date) -> bool:
    return allowed_days(cohort, kind)[1] >= today


def days_words(program: Program, cohort: Cohort, kind: str) -> str:
    """When events of this kind may take place, in a sentence."""
    first, last = allowed_days(cohort, kind)
    where = cohort_in_sentence(cohort, program)
    if first is None:
        return _("An event of {cohort} falls on or before the cohort's last day, {date}.").format(
            cohort=where, date=long_date(last)
        )
    phase = dated_phase(cohort.calendar, kind)
    if phase is None:
        return _("The {kind} of {cohort} takes place from {dates}.").format(
            kind=kind_word(kind), cohort=where, dates=date_span(first, last)
        )
    return _("The {kind} of {cohort} takes place from {dates} ({phase}).").format(
        kind=kind_word(kind), cohort=where, dates=date_span(first, last), phase=program_words(phase.name)
    )


# Who


async def audience_people(session: AsyncSession, cohort: Cohort, program: Program, audience: str) -> list[Person]:
    """Everyone the event is for, once each, by person id."""
    if audience == COORDINATORS:
        found = {p.id: p for p in await _coordinators(session, cohort, program)}
    else:
        query = select(Person).join(Membership, Membership.person_id == Person.id)
        query = query.where(Membership.cohort_id == cohort.id)
        if audience != EVERYONE:
            query = query.where(Membership.role == audience)
        found = {p.id: p for p in (await session.execute(query)).scalars()}
        if audience == EVERYONE:
            found |= {p.id: p for p in await cohort_coordinators(session, cohort, program)}
    return [found[person_id] for person_id in sorted(found)]


async def _coordinators(session: AsyncSession, cohort: Cohort, program: Program) -> list[Person]:
    """The cohort's coordinators; in a program with regions, every coordinator of the program."""
    if not program.regions:
        return await cohort_coordinators(session, cohort, program)
    found = {p.id: p for p in await national_coordinators(session, program)}
    for region in program.regions:
        found |= {p.id: p for p in await region_coordinators(session, program, region.id)}
    by_membership = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Cohort.program_id == program.id, Membership.role == "coordinator")
    )
    found |= {p.id: p for p in (await session.execute(by_membership)).scalars()}
    return list(found.values())


def in_audience(roles: Roles, event: GroupSession, cohort: Cohort, program: Program) -> bool:
    """The same rule as audience_people, for one reader."""
    if event.audience == COORDINATORS:
        return roles.coordinates(program.id) if program.regions else roles.coordinates_cohort(cohort)
    mine = {entry.role for entry in roles.in_cohorts if entry.cohort_id == cohort.id}
    if event.audience == EVERYONE:
        return bool(mine) or roles.coordinates_cohort(cohort)
    return event.audience in mine


# The calendar file


async def invite(session: AsyncSession, event: GroupSession, programs: ProgramCatalog | None) -> invites.Invite:
    """An event's invitation: its seat holders when it has places, else its whole audience."""
    organizer = await session.get_one(Person, event.created_by_id)
    cohort = await session.get_one(Cohort, event.cohort_id)
    program = programs.get(cohort.program_id) if programs is not None else None
    if event.capacity != OPEN:
        query = select(Person.email).join(GroupSeat, GroupSeat.person_id == Person.id)
        emails = list((await session.execute(query.where(GroupSeat.group_id == event.id))).scalars())
    elif program is not None and event.audience is not None:
        emails = [person.email for person in await audience_people(session, cohort, program, event.audience)]
    else:
        emails = []
    name = event_name(event.kind, event.audience, program) if program else kind_word(event.kind)
    label = cohort_label(cohort, program)
    if program and event.audience:
        description = _("{cohort}, for {audience}, scheduled with the coaching assistant.").format(
            cohort=label, audience=audience_words(program, event.audience)
        )
    else:
        description = _("{cohort}, scheduled with the coaching assistant.").format(cohort=label)
    return invites.Invite(
        uid=invites.session_uid("event", event.id),
        sequence=event.sequence,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=f"{capitalised(name)}: {event.title}",
        description=description,
        organizer_email=organizer.email,
        attendee_emails=tuple(sorted(emails)) or (organizer.email,),
        cancelled=event.status == "cancelled",
    )
