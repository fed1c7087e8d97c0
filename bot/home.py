"""A person's home beside their chat with the assistant (Slack's App Home tab): their next sessions, their
pairs and what is open for them, and for a coordinator each cohort at a glance.

Neutral: a HomeView of Replies that each adapter renders. Every button's value is one the chat already
answers (a dialog's own value, such as a survey's `survey:start|ID`), or a command (`command:sessions`)
that a click runs as if it were typed, so a click on the home runs the same dialog as in the chat.

It is built on every opening of the tab, so each section is one query. It shows names, times and counts
only: never what anyone wrote.
"""

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import checkins, home_cohorts, identity, surveys
from bot.booking import local
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.commands import parse
from bot.confirmation import is_waiting
from bot.dialog import Registry, button
from bot.engine import PROFILE_LOOKUP_TIMEOUT
from bot.i18n import N_, _, language_of_locale, ngettext, program_words, role_word, speaking
from bot.messages import Button, Inbound, Profile, Reply
from bot.pairs import pairings_of
from bot.programs import ProgramCatalog
from bot.roles import Roles, joined_roles, roles_from_rows
from bot.timezones import long_date, today_in, zone_name
from storage.db import Database
from storage.models import (
    Account,
    Application,
    CheckIn,
    CoachingSession,
    Cohort,
    Pair,
    Person,
)

log = logging.getLogger(__name__)

COMMAND = "command"  # a button valued "command:VERB ARGS" runs `VERB ARGS` as if typed
SESSIONS_SHOWN = 5


@dataclass(frozen=True)
class HomeView:
    """What a person's home shows, top to bottom: each section a Reply (a title, lines and buttons)."""

    sections: tuple[Reply, ...]


@dataclass(frozen=True)
class Viewer:
    """Whose home it is: the account that opened it, its person and their roles."""

    account: Account
    person: Person
    roles: Roles

    @property
    def zone(self) -> str:
        return self.person.timezone or "UTC"


Style = Literal["default", "primary", "danger"]


def command_button(label: str, command: str, style: Style = "default") -> Button:
    """A button that runs `command` as if the person typed it."""
    return Button(label=label, value=f"{COMMAND}:{command}", style=style)


def as_typed(inbound: Inbound) -> Inbound:
    """A click on a command button as the command typed (the engine then runs it as any typed command, with
    its role checks); anything else as it is."""
    prefix = f"{COMMAND}:"
    if inbound.action is None or not inbound.action.startswith(prefix):
        return inbound
    return replace(inbound, action=None, text=inbound.action.removeprefix(prefix), is_command=True)


def may_change(inbound: Inbound, registry: Registry) -> bool:
    """Whether a turn may have changed what the person's home shows: a click, or anything typed except a
    command that changes nothing (`help`)."""
    if inbound.action is not None:
        return True
    command = registry.command(parse(inbound.text, is_command=inbound.is_command).verb)
    return command is None or not command.reads_only


WELCOME = N_(
    "I run mentoring and coaching programs with you: applying, booking sessions with your coach or mentor, "
    "check-ins and surveys. Click Help to see what you can do, or write to me in the Messages tab."
)


def welcome(name: str | None = None) -> HomeView:
    """For someone in no program yet, or whom the assistant cannot link to a person: how to start (in the
    language being written)."""
    hello = _("Hello {name}.").format(name=name) + " " if name else ""
    return HomeView(
        (
            Reply(
                hello + _(WELCOME),
                title=_("Welcome"),
                buttons=(
                    command_button(_("Help"), "help", "primary"),
                    command_button(_("Apply to a program"), "apply"),
                ),
            ),
        )
    )


# Whose home: the account, its person and their roles in one query, as the engine reads them for a turn.
VIEWER_QUERY = joined_roles(
    select(Account, Person)
    .join(Person, Person.id == Account.person_id)
    .where(Account.platform == bindparam("platform"), Account.external_id == bindparam("external_id")),
    Account.person_id,
)


async def viewer_of(session: AsyncSession, platform: str, external_id: str, programs: ProgramCatalog) -> Viewer | None:
    rows = (await session.execute(VIEWER_QUERY, {"platform": platform, "external_id": external_id})).all()
    if not rows:
        return None
    account, person = rows[0][:2]
    return Viewer(account, person, roles_from_rows(person, rows, programs))


async def open_home(
    db: Database, programs: ProgramCatalog, inbound: Inbound, directory: identity.Directory, now: datetime
) -> HomeView:
    """The home of the account opening it, remembered as opened (from now on it is kept up to date after
    changes). An account not linked yet is linked by its profile's email, as the engine links it on a first
    message; a welcome where the platform gives none."""
    view = await _opened(db, programs, inbound, None, now)
    if view is None:
        profile = await _profile(directory, inbound)
        view = await _opened(db, programs, inbound, profile, now) if profile is not None else None
    if view is not None:
        return view
    with speaking(language_of_locale(inbound.locale)):  # nobody known: the platform's language, if it says
        return welcome()


async def _opened(
    db: Database, programs: ProgramCatalog, inbound: Inbound, profile: Profile | None, now: datetime
) -> HomeView | None:
    """The home, or None for an account that could not be linked (with `profile`, or without one)."""
    async with db.transaction() as session:
        viewer = await viewer_of(session, inbound.platform, inbound.account_id, programs)
        if viewer is None:
            if profile is None or await identity.link(session, inbound, None, profile, now) is None:
                return None
            viewer = await viewer_of(session, inbound.platform, inbound.account_id, programs)
            assert viewer is not None
        if viewer.account.home_opened_at is None:
            viewer.account.home_opened_at = now
        return await home_of(session, viewer, programs, now)


async def _profile(directory: identity.Directory, inbound: Inbound) -> Profile | None:
    """The platform's profile of the account, outside any transaction; None when it cannot be asked."""
    try:
        async with asyncio.timeout(PROFILE_LOOKUP_TIMEOUT):
            return await directory.lookup(inbound.account_id)
    except Exception as exc:  # the platform's directory is down: the welcome, and the next opening links
        log.warning("home profile look-up failed platform=%s error=%s", inbound.platform, type(exc).__name__)
        return None


async def refreshed_home(
    db: Database, programs: ProgramCatalog, platform: str, external_id: str, now: datetime
) -> HomeView | None:
    """The home again after a change, for an account whose person has opened it; None otherwise (a home
    never opened is not published: it is built when it is first opened)."""
    async with db.reading() as session:
        viewer = await viewer_of(session, platform, external_id, programs)
        if viewer is None or viewer.account.home_opened_at is None:
            return None
        return await home_of(session, viewer, programs, now)


async def remember_opened(db: Database, platform: str, external_id: str, now: datetime) -> None:
    """A click on the home is proof it was opened (by someone linked only by that click: the welcome)."""
    async with db.transaction() as session:
        account = (
            await session.execute(
                select(Account).where(Account.platform == platform, Account.external_id == external_id)
            )
        ).scalar_one_or_none()
        if account is not None and account.home_opened_at is None:
            account.home_opened_at = now


async def home_of(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> HomeView:
    """The home in the viewer's language (it is built outside any turn: on opening, and after changes)."""
    with speaking(viewer.person.language):
        return await _home_of(session, viewer, programs, now)


async def _home_of(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> HomeView:
    sections = [
        *await _sessions(session, viewer, now),
        *await _pairs(session, viewer, programs, now),
        *await _open_for(session, viewer, programs, now),
        *await _cohorts(session, viewer, programs, now),
    ]
    if not sections:
        return welcome(viewer.person.display_name)
    greeting = Reply(
        _("Hello {name}. Times are in your time zone, {zone}.").format(
            name=viewer.person.display_name, zone=zone_name(viewer.zone)
        ),
        title=_("Your coaching and mentoring"),
        buttons=(command_button(_("Help"), "help"), command_button(_("My status"), "status")),
    )
    return HomeView((greeting, *sections))


# The person's own


async def _sessions(session: AsyncSession, viewer: Viewer, now: datetime) -> list[Reply]:
    """Their next booked one-to-one sessions, with whom."""
    me = viewer.person.id
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(CoachingSession, guide, guided)
        .join(Pair, Pair.id == CoachingSession.pair_id)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(or_(Pair.guide_id == me, Pair.guided_id == me))
        .where(CoachingSession.status == "booked", CoachingSession.ends_at > now)
        .order_by(CoachingSession.starts_at)
        .limit(SESSIONS_SHOWN)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    lines = []
    for row, guide_person, guided_person in rows:
        partner = guided_person if guide_person.id == me else guide_person
        lines.append(_("{time} with {name}").format(time=local(row.starts_at, viewer.zone), name=partner.display_name))
    first = rows[0][0]
    buttons = (
        button("sessions", _("Move the next one"), f"move|{first.id}"),
        command_button(_("All my sessions"), "sessions"),
    )
    return [Reply("", title=_("Your next sessions"), lines=tuple(lines), buttons=buttons)]


async def _pairs(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Reply]:
    """Whom they work with, in each program."""
    me = viewer.person.id
    infos = await pairings_of(session, me, programs)
    if not infos:
        return []
    lines = []
    for info in infos:
        program = info.program
        cohort, role = cohort_label(info.cohort, program), role_word(program.guide_role)
        if info.guide.id == me:
            said = _("{cohort}: you are {role} to {name}").format(
                cohort=cohort, role=role, name=info.guided.display_name
            )
        else:
            said = _("{cohort}: your {role} is {name}").format(cohort=cohort, role=role, name=info.guide.display_name)
        lines.append(said)
    buttons: tuple[Button, ...] = ()
    if any(info.program.one_to_one is not None for info in infos):
        buttons += (command_button(_("Book a session"), "book", "primary"),)
    buttons += (button("help-me", _("Need help"), "start", "danger"),)
    title = ngettext("Your pair", "Your pairs", len(infos))
    return [Reply("", title=title, lines=tuple(lines), buttons=buttons)]


async def _open_for(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Reply]:
    """What waits for them: surveys to answer, check-ins, applications to finish or places to confirm."""
    lines: list[str] = []
    buttons: list[Button] = []
    for line, offered in [
        *await _surveys(session, viewer, programs, now),
        *await _check_ins(session, viewer, programs, now),
        *await _applications(session, viewer, programs, now),
    ]:
        lines.append(line)
        buttons.extend(offered)
    if not lines:
        return []
    return [Reply("", title=_("Open for you"), lines=tuple(lines), buttons=tuple(buttons))]


Offer = tuple[str, tuple[Button, ...]]  # a line of "Open for you" and its buttons


async def _surveys(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Offer]:
    offers = []
    for invitation, cohort, program, survey in await surveys.waiting_for(
        session, viewer.person.id, programs, today_in(now, viewer.zone)
    ):
        closes = surveys.survey_dates(cohort, survey)[1]
        line = _("The survey “{title}” of {cohort}, open until {date}").format(
            title=program_words(survey.title), cohort=cohort_in_sentence(cohort, program), date=long_date(closes)
        )
        label = _("Continue the survey") if invitation.progress else _("Answer the survey")
        offers.append((line, (button(surveys.NAME, label, f"start|{invitation.id}", "primary"),)))
    return offers


async def _check_ins(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Offer]:
    me = viewer.person.id
    partner = aliased(Person)
    query = (
        select(CheckIn, Cohort, partner)
        .join(Cohort, Cohort.id == CheckIn.cohort_id)
        .join(Pair, Pair.id == CheckIn.pair_id)
        .join(partner, partner.id == _other_of(me))
        .where(CheckIn.person_id == me, CheckIn.status.is_(None), Pair.status == "active")
        .order_by(CheckIn.asked_on.desc())
    )
    offers = []
    for check_in, cohort, partner_person in (await session.execute(query)).all():
        program = programs.get(cohort.program_id)
        if program is None or checkins.overtaken(cohort, program, check_in.asked_on, now):
            continue
        line = _("The check-in of {date}, {program}: how is it going with {name}?").format(
            date=long_date(check_in.asked_on), program=program.short_name, name=partner_person.display_name
        )
        offers.append((line, _check_in_buttons(check_in.id)))
    return offers


def _other_of(me: int) -> ColumnElement[int]:
    """In a query on Pair: the id of the pair's other person."""
    return case((Pair.guide_id == me, Pair.guided_id), else_=Pair.guide_id)


def _check_in_buttons(check_in_id: int) -> tuple[Button, ...]:
    """The check-in's own answers, as the message that asked it offers them (bot/checkins.py)."""
    return tuple(
        button(
            checkins.NAME, _(label), f"answer|{check_in_id}|{answer}", "danger" if answer == "need_help" else "default"
        )
        for answer, label in checkins.ANSWERS.items()
    )


async def _applications(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Offer]:
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == viewer.person.id, Application.status.in_(("draft", "accepted")))
        .order_by(Application.updated_at.desc())
    )
    offers: list[Offer] = []
    for application, cohort in (await session.execute(query)).all():
        program = programs.get(cohort.program_id)
        if program is None:
            continue
        where = cohort_in_sentence(cohort, program)
        if application.status == "draft":
            offers.append(
                (
                    _("Your application to {cohort} is not submitted yet").format(cohort=where),
                    (button("apply", _("Continue my application"), f"start|{program.id}", "primary"),),
                )
            )
        elif is_waiting(application, now):
            assert application.confirm_by is not None
            offers.append(
                (
                    _("Your place in {cohort} waits for your confirmation, until {time}").format(
                        cohort=where, time=local(application.confirm_by, viewer.zone)
                    ),
                    (command_button(_("Confirm my place"), f"confirm {program.id}", "primary"),),
                )
            )
    return offers


# A coordinator's cohorts


async def _cohorts(session: AsyncSession, viewer: Viewer, programs: ProgramCatalog, now: datetime) -> list[Reply]:
    """Each cohort they coordinate at a glance (bot/home_cohorts.py)."""
    if not viewer.roles.coordinator_of:
        return []
    glances = await home_cohorts.glances(session, viewer.roles, programs, now)
    if not glances:
        return []
    any_waiting = any(glance.waiting for glance in glances)
    buttons = (command_button(_("Review applications"), "review", "primary" if any_waiting else "default"),)
    buttons += (command_button(_("Report"), "report"),)
    days = home_cohorts.RECENT.days
    return [
        Reply(
            ngettext(
                "Requests for help and failed deliveries of the last {days} day.",
                "Requests for help and failed deliveries of the last {days} days.",
                days,
            ).format(days=days),
            title=_("Your cohorts"),
            lines=tuple(glance.line for glance in glances),
            buttons=buttons,
        )
    ]
