"""`forget me`: what the assistant holds about a person is deleted, and what others need to keep (an ended
pairing, sessions held, hours given, check-in buttons, survey invitations) stays under a nameless stand-in,
one per forgotten person, so counts hold and nobody can be named from them (bot/privacy/holdings.py lists
what happens to each table).

Who may be forgotten:
- anyone, on their own request, unless they coordinate a program: a coordinator's decisions and hand-overs
  must stay while they coordinate, so they hand over first;
- someone who has left a program, at the request of one of its coordinators: nothing of theirs is still
  running anywhere (no active pairing, no application under way, no place in a cohort still running).
"""

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, cast, delete, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.applications import release
from bot.cohorts import cohort_in_sentence
from bot.i18n import N_, _, program_words, role_word, speaking
from bot.messages import Reply, each_of
from bot.network import cohort_coordinators
from bot.pair_admin import close_for_leaving
from bot.pairs import PairInfo, pairings_of
from bot.programs import ProgramCatalog
from bot.roles import Roles, load_roles
from bot.surveys import MAX_REMINDERS, waiting_for
from bot.timezones import long_date
from storage.models import (
    Account,
    Application,
    Assessment,
    Availability,
    BusySlot,
    CheckIn,
    CoachingSession,
    Cohort,
    CoordinatorTerm,
    DataExportLink,
    DialogState,
    ExportLink,
    GroupSeat,
    GroupSession,
    GroupWaitlist,
    HourEntry,
    Membership,
    OutboxMessage,
    Pair,
    PairChange,
    Person,
    Profile,
    Resource,
    SlackInstaller,
    SurveyInvitation,
)

KIND = "forgotten"
STAND_IN_NAME = "a former member"
UNDER_WAY = ("draft", "submitted", "waitlisted", "accepted")  # an application still running
# What a coordinator is told of someone whose application still runs, by its status.
STILL_APPLYING = {
    "draft": N_("{name}'s application to {cohort} is draft: they can withdraw it with `withdraw`."),
    "submitted": N_("{name}'s application to {cohort} is submitted: they can withdraw it with `withdraw`."),
    "waitlisted": N_("{name}'s application to {cohort} is waitlisted: they can withdraw it with `withdraw`."),
    "accepted": N_("{name}'s application to {cohort} is accepted: they can withdraw it with `withdraw`."),
}


@dataclass(frozen=True)
class Forgotten:
    pairs_ended: int
    applications: int


# Who may be forgotten


async def own_refusal(
    session: AsyncSession, person: Person, roles: Roles, programs: ProgramCatalog, now: datetime
) -> str | None:
    """Why this person may not be forgotten on their own request, or None."""
    if not roles.coordinator_of:
        return None
    names = sorted(program.in_sentence for pid in roles.coordinator_of if (program := programs.get(pid)) is not None)
    alone = await _left_alone(session, person, roles, programs, now.date())
    if alone:
        return _(
            "You are the only coordinator of {cohort}: nobody else could review, match or look after its people. "
            "Hand over to another coordinator first; once you no longer coordinate, type `forget me`. Nothing changed."
        ).format(cohort=alone)
    return _(
        "You coordinate {programs}: your decisions and hand-overs must stay while you "
        "do. Hand over to another coordinator first; once you no longer coordinate, type `forget me`. Nothing changed."
    ).format(programs=each_of(names) or _("a program"))


async def _left_alone(
    session: AsyncSession, person: Person, roles: Roles, programs: ProgramCatalog, today: date
) -> str | None:
    """A cohort still running that would have no coordinator but this person, named, or None."""
    query = select(Cohort).where(roles.coordinated_cohorts(), Cohort.ends_on >= today).order_by(Cohort.starts_on)
    for cohort in (await session.execute(query)).scalars():
        program = programs.get(cohort.program_id)
        if program is None:
            continue
        if all(other.id == person.id for other in await cohort_coordinators(session, cohort, program)):
            return cohort_in_sentence(cohort, program)
    return None


async def left_refusal(
    session: AsyncSession, person: Person, target: Person, roles: Roles, programs: ProgramCatalog, now: datetime
) -> str | None:
    """Why a coordinator may not have `target` forgotten, or None: target must have left, and have been
    in a cohort this coordinator coordinates."""
    name = target.display_name
    if target.id == person.id:
        return _("To remove your own data, type `forget me`.")
    if target.forgotten_at is not None:
        return _("That person has already been forgotten.")
    their_cohorts = await _cohorts_of(session, target.id)
    if not any(roles.coordinates_cohort(cohort) for cohort in their_cohorts):
        return _("{name} has never been in a cohort you coordinate, so it is not for you to remove their data.").format(
            name=name
        )
    if (await load_roles(session, target, programs)).coordinator_of:
        return _("{name} coordinates a program: a coordinator's records stay while they coordinate.").format(name=name)
    still = await _still_taking_part(session, target, programs, now.date())
    if still:
        return still + " " + _("While they take part, only they can ask to be forgotten (with `forget me`).")
    return None


async def _cohorts_of(session: AsyncSession, person_id: int) -> list[Cohort]:
    ids = union(
        select(Membership.cohort_id).where(Membership.person_id == person_id),
        select(Application.cohort_id).where(Application.person_id == person_id),
        select(Pair.cohort_id).where(or_(Pair.guide_id == person_id, Pair.guided_id == person_id)),
    )
    return list((await session.execute(select(Cohort).where(Cohort.id.in_(ids)))).scalars())


async def _still_taking_part(
    session: AsyncSession, person: Person, programs: ProgramCatalog, today: date
) -> str | None:
    """What still runs for the person, in a sentence that says what would end it, or None."""
    name = person.display_name
    active = await pairings_of(session, person.id, programs)
    if active:
        where = cohort_in_sentence(active[0].cohort, active[0].program)
        return _(
            "{name} has an active pairing in {cohort}: if they have left, end it first (`pair end {name}`)."
        ).format(name=name, cohort=where)
    applied = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == person.id, Application.status.in_(UNDER_WAY), Cohort.ends_on >= today)
    )
    for application, cohort in (await session.execute(applied)).all():
        program = programs.get(cohort.program_id)
        if program is not None:
            where = cohort_in_sentence(cohort, program)
            return _(STILL_APPLYING[application.status]).format(name=name, cohort=where)
    member = (
        select(Cohort)
        .where(
            Cohort.ends_on >= today,
            Cohort.id.in_(select(Membership.cohort_id).where(Membership.person_id == person.id)),
        )
        .order_by(Cohort.ends_on)
    )
    for cohort in (await session.execute(member)).scalars():
        program = programs.get(cohort.program_id)
        if program is not None:
            where, until = cohort_in_sentence(cohort, program), long_date(cohort.ends_on)
            return _("{name} is still in {cohort}, which runs until {date}: from the day after, you can.").format(
                name=name, cohort=where, date=until
            )
    return None


async def open_surveys(session: AsyncSession, person_id: int, programs: ProgramCatalog, today: date) -> list[str]:
    """The titles of surveys open now that the person has not finished, quoted."""
    waiting = await waiting_for(session, person_id, programs, today)
    return [_("“{title}”").format(title=program_words(survey.title)) for *_others, survey in waiting]


# The forgetting


async def forget(session: AsyncSession, person_id: int, programs: ProgramCatalog, now: datetime) -> Forgotten | None:
    """Delete what is held about the person, keep counts under a stand-in; None if they are gone already."""
    person = await session.get(Person, person_id)
    if person is None or person.forgotten_at is not None:
        return None
    active = await pairings_of(session, person_id, programs)
    for info in active:
        await _end_pair(session, info, person_id, now)
    applications = await _withdraw_applications(session, person_id, now)
    stand_in = Person(
        email=f"forgotten-{secrets.token_hex(8)}@forgotten.invalid",
        display_name=STAND_IN_NAME,
        forgotten_at=now,
        created_at=now,
    )
    session.add(stand_in)
    await session.flush()
    await _keep_counts(session, person_id, stand_in.id)
    await _delete_the_rest(session, person)
    return Forgotten(len(active), applications)


async def _end_pair(session: AsyncSession, info: PairInfo, person_id: int, now: datetime) -> None:
    """End the pairing; the partner and the cohort's coordinators are told without the forgotten name, which
    would otherwise stay in their messages."""
    partner = info.partner_of(person_id)
    side = info.program.guide_role if person_id == info.guide.id else info.program.guided_role
    await close_for_leaving(session, info, now)
    with speaking(partner.language):
        where = cohort_in_sentence(info.cohort, info.program)
        told_partner = Reply(
            _("Your {role} has left {cohort}, so your pairing with them has ended. Your coordinators know.").format(
                role=role_word(side), cohort=where
            ),
            title=_("Your pairing"),
        )
    outbox.queue(session, partner.id, told_partner, kind=KIND, now=now)
    for coordinator in await cohort_coordinators(session, info.cohort, info.program):
        if coordinator.id not in (person_id, partner.id):
            with speaking(coordinator.language):
                where = cohort_in_sentence(info.cohort, info.program)
                told = _(
                    "The pairing of {name} in {cohort} has ended: their {role} left the program and asked "
                    "to be forgotten. What was held about them is deleted; counts stay without a name."
                ).format(name=partner.display_name, cohort=where, role=role_word(side))
                told_coordinator = Reply(told, title=_("A pairing ended"))
            outbox.queue(session, coordinator.id, told_coordinator, kind=KIND, now=now)


async def _withdraw_applications(session: AsyncSession, person_id: int, now: datetime) -> int:
    """Applications under way are withdrawn (a seat is freed); every application's texts are removed."""
    rows = (await session.execute(select(Application).where(Application.person_id == person_id))).scalars().all()
    for application in rows:
        if application.status == "accepted":
            await release(session, application, now, "withdrawn")
        if application.status in UNDER_WAY:
            application.status = "withdrawn"
        application.answers, application.materials, application.updated_at = {}, {}, now
    return len(rows)


async def _keep_counts(session: AsyncSession, old: int, new: int) -> None:
    """Rows whose counts others rely on now belong to the stand-in."""
    moves = (
        (Pair, Pair.guide_id),
        (Pair, Pair.guided_id),
        (PairChange, PairChange.requested_by_id),
        (CoachingSession, CoachingSession.booked_by_id),
        (CheckIn, CheckIn.person_id),
        (HourEntry, HourEntry.person_id),
        (Application, Application.person_id),
        (GroupSession, GroupSession.created_by_id),
    )
    for model, column in moves:
        await session.execute(update(model).where(column == old).values({column.key: new}))
    # A session's busy quarter hours stay with it; a group place's go with the place (deleted below).
    await session.execute(
        update(BusySlot).where(BusySlot.person_id == old, BusySlot.session_id.is_not(None)).values(person_id=new)
    )
    # Invitations keep the response rate; the stand-in gets no reminder.
    await session.execute(
        update(SurveyInvitation).where(SurveyInvitation.person_id == old).values(person_id=new, reminders=MAX_REMINDERS)
    )


async def _delete_messages_naming(session: AsyncSession, person: Person) -> None:
    """Messages to others that name the person ("Pat is away until...", "Pat could not be reached"), sent or
    waiting: searched as the JSON column stores them (non-ASCII letters escaped)."""
    text = cast(OutboxMessage.reply, String)
    naming = [text.contains(json.dumps(value)[1:-1], autoescape=True) for value in (person.email, person.display_name)]
    await session.execute(delete(OutboxMessage).where(or_(OutboxMessage.ref == f"unreached:{person.id}", *naming)))


async def _delete_the_rest(session: AsyncSession, person: Person) -> None:
    """Everything else naming the person goes: with the person's row itself, the database removes the rows
    that cascade, and the columns that only mention them are cleared; this names each, so none is missed."""
    pid = person.id
    slack_users = [
        external.split(":")[-1]
        for external in (
            await session.execute(
                select(Account.external_id).where(Account.person_id == pid, Account.platform == "slack")
            )
        ).scalars()
    ]
    if slack_users:
        await session.execute(delete(SlackInstaller).where(SlackInstaller.user_id.in_(slack_users)))
    await _delete_messages_naming(session, person)
    for model in (
        Account,
        Membership,
        Profile,
        Availability,
        DialogState,
        GroupSeat,
        GroupWaitlist,
        Assessment,
        OutboxMessage,
        ExportLink,
        DataExportLink,
        CoordinatorTerm,
    ):
        await session.execute(delete(model).where(model.person_id == pid))
    clears = (
        (Pair, Pair.relay_paused_by_id),
        (Application, Application.decided_by_id),
        (Resource, Resource.added_by_id),
        (Resource, Resource.updated_by_id),
        (CoordinatorTerm, CoordinatorTerm.successor_id),
        (CoordinatorTerm, CoordinatorTerm.recorded_by_id),
        (CoordinatorTerm, CoordinatorTerm.ended_by_id),
    )
    for model, column in clears:
        await session.execute(update(model).where(column == pid).values({column.key: None}))
    await session.execute(delete(Person).where(Person.id == pid))
