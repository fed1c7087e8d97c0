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
from bot.applications import status_name
from bot.calendar_changes import end_of_day
from bot.cohorts import application_phase, cohort_label, cohort_of_program
from bot.dates import DATE_EXAMPLES, CalendarError, read_date
from bot.dialog import Turn, button, row_id
from bot.i18n import _, speaking
from bot.messages import Reply
from bot.timezones import deadline_words, today_in
from storage.models import Application, Cohort, Person

NAME = "review"  # the dialog whose buttons come back here (dialogs/review.py)
USAGE = "`review reopen EMAIL [UNTIL]`"
DEFAULT_DAYS = 7
EMAIL = re.compile(r"[^\s<>|:]+@[^\s<>|]+")  # also inside Slack's <mailto:a@b|a@b>


async def reopen(turn: Turn, typed: str) -> None:
    email_typed, _sep, until_typed = " ".join(typed.split()).partition(" ")
    email = EMAIL.search(email_typed)
    if email is None:
        turn.say(
            _("Write it as {usage}, like `review reopen dana@example.org 4 December`. Nothing was changed.").format(
                usage=USAGE
            )
        )
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
        states = ", ".join(
            f"{_label(turn, cohort)}: {status_name(application.status)}" for application, cohort in found
        )
        name = person.display_name
        if found:
            turn.say(
                _(
                    "Only a draft can be reopened, and {name}'s application is not one ({states}). Nothing was changed."
                ).format(name=name, states=states)
            )
        else:
            turn.say(
                _(
                    "Only a draft can be reopened, and {name} has none in the cohorts you coordinate. "
                    "Nothing was changed."
                ).format(name=name)
            )
    elif len(drafts) == 1:
        await reopen_draft(turn, f"{drafts[0][0].id}|{until.isoformat()}")
    else:
        buttons = tuple(
            button(NAME, _label(turn, cohort), f"reopen|{application.id}|{until.isoformat()}")
            for application, cohort in drafts
        )
        turn.ask(
            NAME,
            "reopen",
            _("{name} has several drafts. Which one?").format(name=person.display_name),
            expects="choice",
            buttons=buttons,
        )


def _until(turn: Turn, typed: str) -> datetime | None:
    """The moment the reopened draft closes: the end of the day typed, or of the day a week from now."""
    if not typed:
        return end_of_day(today_in(turn.now, turn.timezone) + timedelta(days=DEFAULT_DAYS), turn.timezone)
    try:
        day, rest = read_date(typed, turn.timezone, turn.now)
    except CalendarError as error:
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return None
    if day is None or rest:
        turn.say(
            _("I couldn't read `{typed}` as a day: write it like {examples}. Nothing was changed.").format(
                typed=typed[:40], examples=_(DATE_EXAMPLES)
            )
        )
        return None
    until = end_of_day(day, turn.timezone)
    if until <= turn.now:
        turn.say(_("{typed} has passed: give a day to come. Nothing was changed.").format(typed=typed))
        return None
    return until


async def _person(turn: Turn, email: str) -> Person | None:
    person = (await turn.session.execute(select(Person).where(func.lower(Person.email) == email))).scalar_one_or_none()
    if person is None:
        turn.say(_("I know no one with the email {email}. Nothing was changed.").format(email=email))
    return person


async def reopen_draft(turn: Turn, value: str) -> None:
    """Reopen the draft `value` names ("APPLICATION_ID|UNTIL") and tell the applicant."""
    turn.finish()
    application_id, _sep, until_text = value.partition("|")
    given_id = row_id(application_id)
    application = await turn.session.get(Application, given_id) if given_id is not None else None
    cohort = await turn.session.get(Cohort, application.cohort_id) if application else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    try:
        until = datetime.fromisoformat(until_text)
    except ValueError:
        until = None
    if application is None or cohort is None or program is None or until is None:
        turn.say(_("I can't find that application any more. Type {usage} again.").format(usage=USAGE))
        return
    if not turn.roles.coordinates_cohort(cohort):
        turn.say(
            _("Only the coordinators of {cohort} can reopen its applications. Nothing was changed.").format(
                cohort=cohort_label(cohort, program)
            )
        )
        return
    person = await turn.session.get_one(Person, application.person_id)
    if application.status != "draft":
        turn.say(
            _("{name}'s application is {status}: only a draft can be reopened.").format(
                name=person.display_name, status=status_name(application.status)
            )
        )
        return
    call = application_phase(cohort, program)
    if call is not None and turn.now < call.deadline and until <= call.deadline:
        closes = deadline_words(call.deadline, call.zone, turn.timezone)
        turn.say(
            _("The call is open until {closes}: {name} can submit until then. Nothing was changed.").format(
                closes=closes, name=person.display_name
            )
        )
        return
    application.reopened_until = until
    with speaking(person.language):  # the applicant's language
        words = deadline_words(until, turn.timezone, person.timezone)
        told = Reply(
            _(
                "{coordinator} reopened your application to {cohort}: you can finish and submit it until {until}. "
                "Type `apply` to continue where you left off."
            ).format(coordinator=turn.person.display_name, cohort=cohort_of_program(cohort, program), until=words),
            title=_("Your application to {cohort} is open again").format(cohort=cohort_label(cohort, program)),
        )
    outbox.queue(turn.session, person.id, told, kind="application-reopened", now=turn.now)
    turn.say(
        _(
            "Reopened: {name} can submit their application to {cohort} until {until}. "
            "I am telling them by direct message."
        ).format(
            name=person.display_name,
            cohort=cohort_label(cohort, program),
            until=deadline_words(until, None, turn.timezone),
        )
    )


def _label(turn: Turn, cohort: Cohort) -> str:
    return cohort_label(cohort, turn.programs.get(cohort.program_id))
