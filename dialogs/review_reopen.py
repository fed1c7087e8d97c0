"""`review reopen EMAIL [UNTIL]` (coordinators): one draft may still be submitted after the call closed.

The draft's `reopened_until` is set (bot/applications.py submittable_until and dialogs/apply.py honour
it): by default until the end of the day a week from now, in the coordinator's zone; UNTIL is a day
(`2026-12-04`, `4 December`), included. Only a draft in a cohort the coordinator coordinates. The
applicant is told through the outbox until when they can submit. To give everyone more time, a
coordinator extends the call instead: `cohort dates call FROM TO`.
"""

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot import outbox
from bot.calendar_changes import end_of_day
from bot.cohorts import application_phase, cohort_label, cohort_of_program
from bot.dates import DATE_EXAMPLES, CalendarError, read_date
from bot.dialog import Turn, button, row_id
from bot.messages import Reply
from bot.timezones import deadline_words, today_in
from storage.models import Application, Cohort, Person

NAME = "review"  # the dialog whose buttons come back here (dialogs/review.py)
USAGE = "`review reopen EMAIL [UNTIL]`"
DEFAULT_DAYS = 7
EMAIL = re.compile(r"[^\s<>|:]+@[^\s<>|]+")  # also inside Slack's <mailto:a@b|a@b>


async def reopen(turn: Turn, typed: str) -> None:
    email_typed, _, until_typed = " ".join(typed.split()).partition(" ")
    email = EMAIL.search(email_typed)
    if email is None:
        turn.say(f"Write it as {USAGE}, like `review reopen dana@example.org 4 December`. Nothing was changed.")
        return
    until = _until(turn, until_typed)
    if until is None:
        return
    person = await _person(turn, email[0].lower())
    if person is None:
        return
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == person.id, turn.roles.coordinated_cohorts())
        .order_by(Application.updated_at.desc())
    )
    found = (await turn.session.execute(query)).all()
    drafts = [(application, cohort) for application, cohort in found if application.status == "draft"]
    if not drafts:
        states = ", ".join(f"{_label(turn, cohort)}: {application.status}" for application, cohort in found)
        name = person.display_name
        why = (
            f"{name}'s application is not one ({states})" if found else f"{name} has none in the cohorts you coordinate"
        )
        turn.say(f"Only a draft can be reopened, and {why}. Nothing was changed.")
    elif len(drafts) == 1:
        await reopen_draft(turn, f"{drafts[0][0].id}|{until.isoformat()}")
    else:
        buttons = tuple(
            button(NAME, _label(turn, cohort), f"reopen|{application.id}|{until.isoformat()}")
            for application, cohort in drafts
        )
        turn.ask(
            NAME, "reopen", f"{person.display_name} has several drafts. Which one?", expects="choice", buttons=buttons
        )


def _until(turn: Turn, typed: str) -> datetime | None:
    """The moment the reopened draft closes: the end of the day typed, or of the day a week from now."""
    if not typed:
        return end_of_day(today_in(turn.now, turn.timezone) + timedelta(days=DEFAULT_DAYS), turn.timezone)
    try:
        day, rest = read_date(typed, turn.timezone, turn.now)
    except CalendarError as error:
        turn.say(f"{error} Nothing was changed.")
        return None
    if day is None or rest:
        turn.say(f"I couldn't read `{typed[:40]}` as a day: write it like {DATE_EXAMPLES}. Nothing was changed.")
        return None
    until = end_of_day(day, turn.timezone)
    if until <= turn.now:
        turn.say(f"{typed} has passed: give a day to come. Nothing was changed.")
        return None
    return until


async def _person(turn: Turn, email: str) -> Person | None:
    person = (await turn.session.execute(select(Person).where(func.lower(Person.email) == email))).scalar_one_or_none()
    if person is None:
        turn.say(f"I know no one with the email {email}. Nothing was changed.")
    return person


async def reopen_draft(turn: Turn, value: str) -> None:
    """Reopen the draft `value` names ("APPLICATION_ID|UNTIL") and tell the applicant."""
    turn.finish()
    application_id, _, until_text = value.partition("|")
    given_id = row_id(application_id)
    application = await turn.session.get(Application, given_id) if given_id is not None else None
    cohort = await turn.session.get(Cohort, application.cohort_id) if application else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    try:
        until = datetime.fromisoformat(until_text)
    except ValueError:
        until = None
    if application is None or cohort is None or program is None or until is None:
        turn.say(f"I can't find that application any more. Type {USAGE} again.")
        return
    if not turn.roles.coordinates_cohort(cohort):
        turn.say(
            f"Only the coordinators of {cohort_label(cohort, program)} can reopen its applications. "
            "Nothing was changed."
        )
        return
    person = await turn.session.get_one(Person, application.person_id)
    if application.status != "draft":
        turn.say(f"{person.display_name}'s application is {application.status}: only a draft can be reopened.")
        return
    call = application_phase(cohort, program)
    if call is not None and turn.now < call.deadline and until <= call.deadline:
        closes = deadline_words(call.deadline, call.zone, turn.timezone)
        turn.say(f"The call is open until {closes}: {person.display_name} can submit until then. Nothing was changed.")
        return
    application.reopened_until = until
    words = deadline_words(until, turn.timezone, person.timezone)
    told = Reply(
        f"{turn.person.display_name} reopened your application to {cohort_of_program(cohort, program)}: you can "
        f"finish and submit it until {words}. Type `apply` to continue where you left off.",
        title=f"Your application to {cohort_label(cohort, program)} is open again",
    )
    outbox.queue(turn.session, person.id, told, kind="application-reopened", now=turn.now)
    turn.say(
        f"Reopened: {person.display_name} can submit their application to {cohort_label(cohort, program)} until "
        f"{deadline_words(until, None, turn.timezone)}. I am telling them by direct message."
    )


def _label(turn: Turn, cohort: Cohort) -> str:
    return cohort_label(cohort, turn.programs.get(cohort.program_id))
