"""What the coordinators are told about delivery: a message that could not be delivered, a person no
platform knows yet. Each notice names the person, what kind of message it was (an announcement by its
title, date and cohort) and the reason in words (bot/outbox/reasons.py), never the message's text."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _, ngettext, speaking
from bot.languages import languages_of
from bot.messages import Reply
from bot.outbox.queueing import queue
from bot.outbox.reasons import reason_words
from bot.timezones import local_time
from storage.models import Cohort, CoordinatorTerm, Membership, OutboxMessage, Person


async def report_failure(session: AsyncSession, message: OutboxMessage, platform: str, now: datetime) -> None:
    """Tell the coordinators of the person's cohorts that a message could not reach them, and why."""
    if message.kind == "delivery-failure":
        return
    person = await session.get_one(Person, message.person_id)
    for coordinator_id in await coordinators_of(session, person):
        coordinator = await session.get_one(Person, coordinator_id)
        with speaking(coordinator.language):
            what = await _undelivered(session, message, coordinator.timezone or "UTC")
            notice = Reply(
                _(
                    "I could not deliver {what} to {name}, {email}, on {platform}: {reason}. "
                    "Please reach them another way."
                ).format(
                    what=what,
                    name=person.display_name,
                    email=person.email,
                    platform=platform.capitalize(),
                    reason=reason_words(message.error),
                ),
                title=_("A message could not be delivered"),
            )
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now)


async def _undelivered(session: AsyncSession, message: OutboxMessage, zone: str) -> str:
    """ "the announcement "AAHSL: from Casey" of Mon 23 Nov, 15:00 Central Time to Demo 2026-27": its title
    (the program and the sender), when it was sent and to which cohort; never its text. Else its kind."""
    ref = (message.ref or "").split(":")
    if message.kind != "announcement" or len(ref) != 4 or ref[0] != "announcement" or not ref[1].isdigit():
        return _kind_words(message.kind)
    cohort = await session.get(Cohort, int(ref[1]))
    title = message.reply.get("title")
    when = local_time(message.created_at, zone)
    if isinstance(title, str) and title:
        if cohort is not None:
            return _('the announcement "{title}" of {when} to {cohort}').format(
                title=title, when=when, cohort=cohort.name
            )
        return _('the announcement "{title}" of {when}').format(title=title, when=when)
    if cohort is not None:
        return _("the announcement of {when} to {cohort}").format(when=when, cohort=cohort.name)
    return _("the announcement of {when}").format(when=when)


# What kind of message could not be delivered, by the outbox's kinds; another kind is named by its code.
KIND_WORDS = {
    "announcement": N_("an announcement"),
    "application": N_("an application message"),
    "application-reopened": N_("an application reopened message"),
    "away": N_("an away message"),
    "booking": N_("a booking message"),
    "check-in": N_("a check in message"),
    "check-in-help": N_("a check in help message"),
    "check-in-reminder": N_("a check in reminder message"),
    "confirmation": N_("a confirmation message"),
    "confirmation-ended": N_("a confirmation ended message"),
    "confirmation-notice": N_("a confirmation notice message"),
    "confirmation-reminder": N_("a confirmation reminder message"),
    "decision": N_("a decision message"),
    "enrolment": N_("an enrolment message"),
    "event": N_("an event message"),
    "forgotten": N_("a forgotten message"),
    "graduation": N_("a graduation message"),
    "group": N_("a group message"),
    "help-request": N_("a help request message"),
    "hours-reminder": N_("a hours reminder message"),
    "network": N_("a network message"),
    "outcome-question": N_("an outcome question message"),
    "pace-nudge": N_("a pace nudge message"),
    "pair-change": N_("a pair change message"),
    "pairing": N_("a pairing message"),
    "program-end": N_("a program end message"),
    "program-end-summary": N_("a program end summary message"),
    "quiet-pair": N_("a quiet pair message"),
    "reminder": N_("a reminder message"),
    "survey": N_("a survey message"),
    "survey-closed": N_("a survey closed message"),
    "survey-reminder": N_("a survey reminder message"),
    "withdrawal": N_("a withdrawal message"),
}


def _kind_words(kind: str) -> str:
    """ "an announcement", "a reminder message", "a booking message" """
    if kind in KIND_WORDS:
        return _(KIND_WORDS[kind])
    words = kind.replace("-", " ")
    if words[:1] in "aeiou":
        return _("an {kind} message").format(kind=words)
    return _("a {kind} message").format(kind=words)


async def tell_unreachable(session: AsyncSession, person_id: int, platform: str, reason: str, now: datetime) -> None:
    """The platform does not know the person: their coordinators are told once (the notice's ref says so)."""
    ref = f"unreached:{person_id}"
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)) is not None:
        return
    person = await session.get_one(Person, person_id)
    coordinator_ids = await coordinators_of(session, person)
    languages = await languages_of(session, coordinator_ids)
    for coordinator_id in coordinator_ids:
        with speaking(languages[coordinator_id]):
            notice = Reply(
                _(
                    "I cannot reach {name}, {email}, yet: {reason}, and they have not written to me anywhere else. "
                    "My messages to them wait until they do: please ask them to open a chat with the assistant."
                ).format(name=person.display_name, email=person.email, reason=reason_words(reason)),
                title=_("Someone I cannot reach yet"),
            )
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now, ref=ref)


async def coordinators_of(session: AsyncSession, person: Person) -> list[int]:
    """Who coordinates a cohort the person is in (not the person themself)."""
    cohorts = select(Membership.cohort_id).where(Membership.person_id == person.id)
    coordinators = select(Membership.person_id).where(
        Membership.cohort_id.in_(cohorts), Membership.role == "coordinator", Membership.person_id != person.id
    )
    # ... and those whose term covers one of those cohorts: national, or of the cohort's region.
    term_holders = (
        select(CoordinatorTerm.person_id)
        .join(Cohort, Cohort.program_id == CoordinatorTerm.program_id)
        .where(
            Cohort.id.in_(cohorts),
            CoordinatorTerm.ended_on.is_(None),
            or_(CoordinatorTerm.region_id.is_(None), CoordinatorTerm.region_id == Cohort.region_id),
            CoordinatorTerm.person_id != person.id,
        )
    )
    told = set((await session.execute(coordinators)).scalars()) | set((await session.execute(term_holders)).scalars())
    return sorted(told)


FAILURES_SHOWN = 5  # per announcement in `announce status`; the rest are counted


async def failures_by_ref(session: AsyncSession, refs: list[str]) -> dict[str, list[str]]:
    """For each ref, "Not delivered to Pat Participant: their Slack account is deactivated" per failed
    message, the first FAILURES_SHOWN by name and then how many more."""
    query = (
        select(OutboxMessage.ref, Person.display_name, OutboxMessage.error)
        .join(Person, Person.id == OutboxMessage.person_id)
        .where(OutboxMessage.ref.in_(refs), OutboxMessage.status == "failed")
        .order_by(OutboxMessage.ref, Person.display_name)
    )
    found: dict[str, list[str]] = {}
    for ref, name, error in (await session.execute(query)).all():
        found.setdefault(ref, []).append(
            _("Not delivered to {name}: {reason}").format(name=name, reason=reason_words(error))
        )
    for ref, lines in found.items():
        if len(lines) > FAILURES_SHOWN:
            more = len(lines) - FAILURES_SHOWN
            found[ref] = [
                *lines[:FAILURES_SHOWN],
                ngettext("{count} more not delivered", "{count} more not delivered", more).format(count=more),
            ]
    return found
