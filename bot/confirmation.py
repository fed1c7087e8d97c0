"""Confirming a place: in programs whose file has `[application.confirmation]`, an accepted applicant
confirms the commitment in the program's words (AAHSL: the time for the sessions and all evaluation
surveys; ALCTS: one year).

On acceptance the place (the seat, where the program has seats) is held until a confirm-by instant,
`within_days` later, and the applicant gets the commitment with *I confirm* / *I can't take part*. One
reminder follows after `remind_after_days`, in their morning. At confirm-by an unconfirmed place lapses:
the application is released, the person is told kindly, the first on the waitlist is offered the place
(and asked to confirm in turn), and the cohort's coordinators hear who lapsed and who was offered it.
*I can't take part* does the same at once. Coordinators may move the confirm-by of the places still
waiting (`review confirm-by`). Only three instants are stored: confirm-by, confirmed-at, reminded-at.

Jobs (bot/scheduler.py): "confirmation-reminder" and "confirmation-lapse", one each per application.
The clicks arrive in dialogs/confirm.py.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox, profiles
from bot.applications import SelectionError, accept, release
from bot.checkins import local_moment
from bot.cohorts import cohort_in_sentence, cohort_of_program
from bot.dialog import button, row_id
from bot.i18n import _, clock, program_words, role_word, speaking, weekday
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.programs import MOST_DAYS_TO_CONFIRM, Confirmation, Program
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import long_date, today_in, zone_name
from bot.when import parse_time
from storage.models import Application, Cohort, Job, Person

NAME = "confirm"  # the dialog that receives the clicks
REMIND, LAPSE = "confirmation-reminder", "confirmation-lapse"
ASKED, REMINDED, ENDED, NOTICE = "confirmation", "confirmation-reminder", "confirmation-ended", "confirmation-notice"
MORNING = time(9)  # the reminder comes at 09:00 in the person's zone, like check-ins
END_OF_DAY = time(23, 59)  # a coordinator's confirm-by date without a time: the end of that day
DAYS = re.compile(r"(\d{1,4})(?: ?days?)?", re.IGNORECASE)


@dataclass(frozen=True)
class Ending:
    """What became of a place that ended unconfirmed: who was offered it (None: nobody) and until when."""

    offered_to: Person | None
    offer_until: datetime | None


def moment_words(moment: datetime, zone: str) -> str:
    """ "Monday 7 December 2026 at 15:00 Central Time", in the reader's language"""
    local = moment.astimezone(ZoneInfo(zone))
    return _("{weekday} {date} at {clock} {zone}").format(
        weekday=weekday(local), date=long_date(local.date()), clock=clock(local), zone=zone_name(zone)
    )


def zone_of(person: Person) -> str:
    return person.timezone or "UTC"


def is_waiting(application: Application, now: datetime) -> bool:
    """Accepted, asked to confirm, not confirmed, and the time to confirm has not run out."""
    return (
        application.status == "accepted"
        and application.confirm_by is not None
        and application.confirmed_at is None
        and now < application.confirm_by
    )


def state_words(application: Application, zone: str, now: datetime) -> str:
    """For `review` and `status`: "confirmed", "to confirm by ...", or "" when nothing is asked."""
    if application.status != "accepted" or application.confirm_by is None:
        return ""
    if application.confirmed_at is not None:
        return _("confirmed")
    until = moment_words(application.confirm_by, zone)
    if now >= application.confirm_by:
        return _("not confirmed by {until}: the place is being released").format(until=until)
    return _("to confirm by {until}").format(until=until)


def ref_of(application_id: int) -> str:
    return f"confirmation:{application_id}"


def subject_of(application_id: int) -> str:
    return f"application:{application_id}"


def request(
    application: Application,
    program: Program,
    cohort: Cohort,
    zone: str,
    opening: str = "",
    *,
    in_conversation: bool = False,
) -> Reply:
    """The commitment, with *I confirm* / *I can't take part*, in the reader's language; `opening` is a
    sentence said first, `in_conversation` when it asks in the person's own turn (`confirm`), where typing
    *yes* confirms too."""
    rules = program.application.confirmation
    assert rules is not None and application.confirm_by is not None
    asked = _(
        "Please confirm {commitment}. Your place is held for you until {until}; if I have not heard from you by "
        "then, it goes to the next person waiting."
    ).format(commitment=program_words(rules.asks), until=moment_words(application.confirm_by, zone))
    if in_conversation:
        later = _("Click a button, or type *yes* to confirm.")
    else:
        later = _("You can also type `confirm` later.")
    return Reply(
        " ".join(part for part in (opening, asked, later) if part),
        title=_("Please confirm your place in {cohort}").format(cohort=cohort_in_sentence(cohort, program)),
        buttons=(
            button(NAME, _("I confirm"), f"yes|{application.id}", "primary"),
            button(NAME, _("I can't take part"), f"no|{application.id}", "danger"),
        ),
    )


# Asking, confirming, moving the time


async def ask_to_confirm(
    session: AsyncSession,
    application: Application,
    program: Program,
    cohort: Cohort,
    person: Person,
    now: datetime,
    *,
    opening: str = "",
    due_at: datetime | None = None,
) -> datetime | None:
    """On acceptance: hold the place until now + within_days, queue the request in this transaction (sent
    at once, or at `due_at`), plan the reminder and the end. The confirm-by, or None when the program asks
    no confirmation. The request is written in the person's language (an `opening` should be too)."""
    rules = program.application.confirmation
    if rules is None:
        return None
    application.confirm_by = now + timedelta(days=rules.within_days)
    application.confirmed_at = application.confirm_reminded_at = None
    with speaking(person.language):
        reply = request(application, program, cohort, zone_of(person), opening)
    outbox.queue(session, person.id, reply, kind=ASKED, now=now, due_at=due_at, ref=ref_of(application.id))
    await _plan(session, application, person, rules, now)
    return application.confirm_by


async def confirm(session: AsyncSession, application: Application, now: datetime) -> None:
    application.confirmed_at, application.updated_at = now, now
    await outbox.withdraw_pending(session, ref_of(application.id), (REMINDED,))


async def waiting_in(session: AsyncSession, cohort_id: int, now: datetime) -> list[tuple[Application, Person]]:
    """The cohort's accepted applicants still to confirm, in the order they were accepted."""
    query = (
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.cohort_id == cohort_id, Application.status == "accepted")
        .where(Application.confirm_by.is_not(None), Application.confirmed_at.is_(None), Application.confirm_by > now)
        .order_by(Application.decided_at, Application.id)
    )
    return [(application, person) for application, person in (await session.execute(query)).all()]


async def move_confirm_by(
    session: AsyncSession, cohort: Cohort, program: Program, confirm_by: datetime, now: datetime
) -> list[Person]:
    """A coordinator's new confirm-by for the places still waiting: each person is told, their jobs
    re-planned. The people it applied to."""
    rules = program.application.confirmation
    assert rules is not None
    moved = []
    for application, person in await waiting_in(session, cohort.id, now):
        application.confirm_by, application.updated_at = confirm_by, now
        with speaking(person.language):
            opening = _("The coordinators have changed the time to confirm your place.")
            reply = request(application, program, cohort, zone_of(person), opening)
        outbox.queue(session, person.id, reply, kind=ASKED, now=now, ref=ref_of(application.id))
        await _plan(session, application, person, rules, now)
        moved.append(person)
    return moved


def cohorts_waiting(now: datetime) -> Select[tuple[int]]:
    """The ids of cohorts with a place still waiting for its confirmation."""
    return select(Application.cohort_id).where(
        Application.status == "accepted",
        Application.confirm_by > now,
        Application.confirmed_at.is_(None),
    )


def read_confirm_by(typed: str, zone: str, now: datetime) -> datetime | str:
    """A coordinator's new confirm-by: DAYS from now, or a date (the end of that day in their zone), or a
    date and time. The instant, or the sentence that says what is wrong."""
    text = " ".join(typed.split())
    usage = _("Say how many days from now (`review confirm-by 10`) or until when (`review confirm-by 15 December`).")
    if not text:
        return usage
    if (days := DAYS.fullmatch(text)) is not None:
        count = int(days.group(1))
        if not 1 <= count <= MOST_DAYS_TO_CONFIRM:
            return _("Please give from 1 to {most} days, not {count}. Nothing was changed.").format(
                most=MOST_DAYS_TO_CONFIRM, count=count
            )
        return now + timedelta(days=count)
    if "/" in text:
        return _("`{typed}` could be read two ways: please write the month as a word, like 15 December.").format(
            typed=text[:40]
        )
    morning, evening = parse_time(text, zone, now, default_hour=9), parse_time(text, zone, now, default_hour=23)
    if morning is None or evening is None:
        unread = _("I can't read `{typed}` as a number of days or a date.").format(typed=text[:40])
        return f"{unread} {usage}"
    until = morning.at
    if morning.at != evening.at:  # no time of day was given: the end of that day
        until = datetime.combine(today_in(morning.at, zone), END_OF_DAY, ZoneInfo(zone)).astimezone(UTC)
    if until <= now:
        return _("{time} has passed: please give a time to come. Nothing was changed.").format(
            time=moment_words(until, zone)
        )
    if until > now + timedelta(days=MOST_DAYS_TO_CONFIRM):
        return _("Please give a time within {most} days. Nothing was changed.").format(most=MOST_DAYS_TO_CONFIRM)
    return until


def parse_instant(text: str) -> datetime | None:
    """An instant a button carries (ISO, with its offset); None if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def reminder_moment(application: Application, zone: str, rules: Confirmation, now: datetime) -> datetime | None:
    """09:00 their time, remind_after_days after the acceptance (at the latest the day before confirm-by);
    None when that is not between now and confirm-by."""
    assert application.confirm_by is not None and application.decided_at is not None
    day = today_in(application.decided_at, zone) + timedelta(days=rules.remind_after_days)
    day = min(day, today_in(application.confirm_by, zone) - timedelta(days=1))
    moment = local_moment(day, MORNING, zone)
    return moment if now < moment < application.confirm_by else None


async def _plan(
    session: AsyncSession, application: Application, person: Person, rules: Confirmation, now: datetime
) -> None:
    assert application.confirm_by is not None
    subject = subject_of(application.id)
    await _plan_job(session, LAPSE, subject, application.confirm_by, now)
    remind_at = reminder_moment(application, zone_of(person), rules, now)
    if remind_at is None or application.confirm_reminded_at is not None:
        await session.execute(delete(Job).where(Job.kind == REMIND, Job.subject == subject, Job.status == "pending"))
    else:
        await _plan_job(session, REMIND, subject, remind_at, now)


async def _plan_job(session: AsyncSession, kind: str, subject: str, due_at: datetime, now: datetime) -> None:
    """Plan the job, or move it when it is planned (or was done, for an earlier acceptance) already."""
    moved = await session.execute(
        update(Job)
        .where(Job.kind == kind, Job.subject == subject)
        .values(due_at=due_at, status="pending", attempts=0, error=None, done_at=None)
    )
    if moved.rowcount == 0:
        await schedule(session, kind, subject, due_at, now)


def _daytime(now: datetime, person: Person) -> datetime:
    return outbox.next_daytime(now, zone_of(person)) or now


# A place that ends unconfirmed: it lapsed, or the person can't take part


async def end_unconfirmed(
    session: AsyncSession, application: Application, program: Program, cohort: Cohort, now: datetime, *, lapsed: bool
) -> Ending:
    """Release the place (status lapsed, or withdrawn when the person said they can't take part), offer it
    to the first on the waitlist and tell the coordinators. The lapsed person is told here; the one who
    said no is answered in their own turn."""
    person = await session.get_one(Person, application.person_id)
    freed = await release(session, application, now, "lapsed" if lapsed else "withdrawn")
    application.status, application.updated_at = ("lapsed" if lapsed else "withdrawn"), now
    await outbox.withdraw_pending(session, ref_of(application.id), (ASKED, REMINDED))
    if lapsed:
        with speaking(person.language):
            told = _lapsed(program, cohort)
        outbox.queue(session, person.id, told, kind=ENDED, now=now, due_at=_daytime(now, person))
    ending = (
        await _offer(session, application, program, cohort, now)
        if freed or program.seats is None
        else Ending(None, None)
    )
    await _tell_coordinators(
        session, person, program, cohort, ending, now, lapsed=lapsed, confirm_by=application.confirm_by
    )
    return ending


def _lapsed(program: Program, cohort: Cohort) -> Reply:
    return Reply(
        _(
            "I did not hear from you in time, so your place in {cohort} has gone to the next person waiting. "
            "Thank you for your interest in the program: we hope you will apply again. If this is a mistake, "
            "please write to the coordinators."
        ).format(cohort=cohort_in_sentence(cohort, program)),
        title=_("Your place in {cohort}").format(cohort=cohort_in_sentence(cohort, program)),
    )


async def _offer(session: AsyncSession, ended: Application, program: Program, cohort: Cohort, now: datetime) -> Ending:
    """The first waitlisted applicant (by decision order; without seats, the first for a role the ended one
    held) is accepted and asked to confirm in turn."""
    query = (
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.cohort_id == cohort.id, Application.status == "waitlisted")
        .order_by(Application.decided_at, Application.id)
    )
    for application, person in (await session.execute(query)).all():
        if program.seats is None and not set(application.roles) & set(ended.roles):
            continue
        application.updated_at = now
        try:
            await accept(session, application, program)
        except SelectionError:  # every seat taken again: nothing is offered
            return Ending(None, None)
        application.status, application.decided_at, application.decided_by_id = "accepted", now, None
        await profiles.fill_from_application(session, application, program, now)
        with speaking(person.language):
            roles = role_word(application.roles[0]) if application.roles else ""
            for role in application.roles[1:]:
                roles = _("{roles} and {role}").format(roles=roles, role=role_word(role))
            opening = _("Good news: a place has opened in {cohort} and it is yours, as {roles}.").format(
                cohort=cohort_of_program(cohort, program), roles=roles
            )
        until = await ask_to_confirm(
            session, application, program, cohort, person, now, opening=opening, due_at=_daytime(now, person)
        )
        return Ending(person, until)
    return Ending(None, None)


async def _tell_coordinators(
    session: AsyncSession,
    person: Person,
    program: Program,
    cohort: Cohort,
    ending: Ending,
    now: datetime,
    *,
    lapsed: bool,
    confirm_by: datetime | None,
) -> None:
    messages = []
    for coordinator in await cohort_coordinators(session, cohort, program):
        with speaking(coordinator.language):  # each coordinator reads it in their own language
            messages.append(
                outbox.Queued(
                    coordinator.id,
                    _released(person, program, cohort, ending, coordinator, lapsed=lapsed, confirm_by=confirm_by),
                )
            )
    await outbox.queue_each(session, messages, kind=NOTICE, now=now)


def _released(
    person: Person,
    program: Program,
    cohort: Cohort,
    ending: Ending,
    coordinator: Person,
    *,
    lapsed: bool,
    confirm_by: datetime | None,
) -> Reply:
    """What a coordinator is told of a released place, in the reader's language."""
    zone, name, place = zone_of(coordinator), person.display_name, cohort_in_sentence(cohort, program)
    if lapsed and confirm_by is not None:
        what = _("{name} did not confirm their place by {until}, so their place in {cohort} is released.").format(
            name=name, until=moment_words(confirm_by, zone), cohort=place
        )
    else:
        what = _("{name} said they can't take part, so their place in {cohort} is released.").format(
            name=name, cohort=place
        )
    if ending.offered_to is not None and ending.offer_until is not None:
        offer = _(
            "I offered the place to {name}, the first on the waitlist; they have until {until} to confirm."
        ).format(name=ending.offered_to.display_name, until=moment_words(ending.offer_until, zone))
    elif ending.offered_to is not None:
        offer = _("I accepted {name}, the first on the waitlist.").format(name=ending.offered_to.display_name)
    else:
        offer = _("The waitlist is empty, so the place is free: type `review` to accept someone.")
    return Reply(f"{what} {offer}", title=_("A place was released"))


# The jobs


async def _job_application(context: JobContext) -> tuple[Application, Program, Cohort] | None:
    application_id = context.job.subject.partition(":")[2]
    given_id = row_id(application_id)
    application = await context.session.get(Application, given_id) if given_id is not None else None
    cohort = await context.session.get(Cohort, application.cohort_id) if application else None
    program = context.programs.get(cohort.program_id) if cohort else None
    if application is None or cohort is None or program is None or program.application.confirmation is None:
        return None
    return application, program, cohort


async def send_reminder(context: JobContext) -> None:
    """One reminder, in the person's daytime, if the place is still waiting for them."""
    found = await _job_application(context)
    if found is None or not is_waiting(found[0], context.now) or found[0].confirm_reminded_at is not None:
        return
    application, program, cohort = found
    person = await context.session.get_one(Person, application.person_id)
    application.confirm_reminded_at = context.now
    with speaking(person.language):
        opening = _("A reminder: I have not heard from you yet.")
        reply = request(application, program, cohort, zone_of(person), opening)
    outbox.queue(
        context.session,
        person.id,
        reply,
        kind=REMINDED,
        now=context.now,
        due_at=_daytime(context.now, person),
        ref=ref_of(application.id),
    )


async def lapse(context: JobContext) -> None:
    """At confirm-by: an accepted place still unconfirmed lapses."""
    found = await _job_application(context)
    if found is None:
        return
    application, program, cohort = found
    due = application.confirm_by
    if application.status != "accepted" or application.confirmed_at is not None or due is None or due > context.now:
        return
    await end_unconfirmed(context.session, application, program, cohort, context.now, lapsed=True)


JOBS: dict[str, JobHandler] = {REMIND: send_reminder, LAPSE: lapse}
