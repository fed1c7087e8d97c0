"""Enrolling people who do not apply: coaches under contract, co-coordinators, participants a partner
organisation names. One person (`enrol EMAIL as ROLE`) or a CSV of them (bot/people_csv.py) goes the same
way: plan() compares each entry with what is stored and says who would be added or changed, before
anything is written; apply() then writes the whole plan in the caller's transaction, with bulk statements,
and queues each added person's notice in the outbox.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import cohort_of_program
from bot.i18n import N_, _, role_word, speaking
from bot.languages import languages_of
from bot.messages import Reply
from bot.outbox import Queued, queue_each
from bot.programs import Program
from storage.models import Cohort, Membership, Person
from storage.models import Profile as ProfileRow

NOTICE_KIND = "enrolment"
CHUNK = 500  # emails or ids per IN (...) look-up: far under SQLite's and PostgreSQL's parameter limits
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[^@\s<>()\[\],;:\"'.]+$")
NAME_LIMIT = 200  # persons.display_name
# What plan() found changed (the ids it compares), as a preview line says them.
CHANGE_WORDS = {"name": N_("name"), "time zone": N_("time zone"), "profile": N_("profile")}


def read_email(typed: str) -> str | None:
    """The email address typed (lower-cased), or None when it is not one."""
    email = typed.strip().strip("<>").removeprefix("mailto:").lower()
    return email if len(email) <= 320 and EMAIL.match(email) else None


def read_role(typed: str, program: Program) -> str | None:
    role = typed.strip().lower()
    return role if role in program.roles else None


def roles_words(program: Program) -> str:
    return ", ".join(program.roles)


@dataclass(frozen=True)
class Entry:
    """One person to enrol, as typed or read from a CSV row (None: not given, keep what is stored)."""

    email: str
    role: str
    name: str | None = None
    timezone: str | None = None
    capacity: int | None = None
    expertise: str | None = None
    interests: str | None = None
    languages: tuple[str, ...] | None = None
    row: int = 0  # the CSV row (the header is row 1); 0 for a typed enrol

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["languages"] = list(self.languages) if self.languages is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Entry":
        languages = data.get("languages")
        return cls(**{**data, "languages": tuple(languages) if languages is not None else None})

    def has_profile(self) -> bool:
        return any(v is not None for v in (self.capacity, self.expertise, self.interests, self.languages))


@dataclass(frozen=True)
class Outcome:
    entry: Entry
    person_id: int | None  # None: a new person
    joins: bool  # a new membership in the cohort (the person is told)
    changes: tuple[str, ...]  # what differs from what is stored: "name", "time zone", "profile"


@dataclass
class Plan:
    """What enrolling the entries would do, computed before anything is written."""

    added: list[Outcome] = field(default_factory=list)
    changed: list[Outcome] = field(default_factory=list)
    same: list[Outcome] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.added or self.changed)


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def plan(session: AsyncSession, cohort: Cohort, program: Program, entries: list[Entry]) -> Plan:
    """Compare each entry with the stored person, membership and profile (a few chunked look-ups)."""
    persons = await _persons_by_email(session, [entry.email for entry in entries])
    ids = [person.id for person in persons.values()]
    members = await _memberships(session, cohort.id, ids)
    profiles = await _profiles(session, ids)
    result = Plan()
    for entry in entries:
        person = persons.get(entry.email)
        if person is None:
            result.added.append(Outcome(entry, None, True, ()))
            continue
        changes = _changes(entry, person, profiles.get(person.id), program)
        outcome = Outcome(entry, person.id, (person.id, entry.role) not in members, changes)
        (result.added if outcome.joins else result.changed if changes else result.same).append(outcome)
    return result


def _changes(entry: Entry, person: Person, profile: ProfileRow | None, program: Program) -> tuple[str, ...]:
    changes = []
    if entry.name and entry.name != person.display_name:
        changes.append("name")
    if entry.timezone and not person.timezone_chosen and entry.timezone != person.timezone:
        changes.append("time zone")
    if entry.role == program.guide_role and entry.has_profile() and _profile_values(entry, profile) != _stored(profile):
        changes.append("profile")
    return tuple(changes)


def _stored(profile: ProfileRow | None) -> tuple[Any, ...]:
    if profile is None:
        return ("", "", [], None)
    return (profile.expertise, profile.interests, list(profile.languages or []), profile.capacity)


def _profile_values(entry: Entry, profile: ProfileRow | None) -> tuple[Any, ...]:
    """The profile after this entry: what it gives, else what is stored."""
    expertise, interests, languages, capacity = _stored(profile)
    return (
        entry.expertise if entry.expertise is not None else expertise,
        entry.interests if entry.interests is not None else interests,
        list(entry.languages) if entry.languages is not None else languages,
        entry.capacity if entry.capacity is not None else capacity,
    )


async def _persons_by_email(session: AsyncSession, emails: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for part in chunks(sorted(set(emails))):
        query = select(Person).where(func.lower(Person.email).in_(part))
        found.update({person.email.lower(): person for person in (await session.execute(query)).scalars()})
    return found


async def _memberships(session: AsyncSession, cohort_id: int, person_ids: list[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for part in chunks(person_ids):
        query = select(Membership.person_id, Membership.role).where(
            Membership.cohort_id == cohort_id, Membership.person_id.in_(part)
        )
        found.update((person_id, role) for person_id, role in (await session.execute(query)).all())
    return found


async def _profiles(session: AsyncSession, person_ids: list[int]) -> dict[int, ProfileRow]:
    found: dict[int, ProfileRow] = {}
    for part in chunks(person_ids):
        query = select(ProfileRow).where(ProfileRow.person_id.in_(part))
        found.update({profile.person_id: profile for profile in (await session.execute(query)).scalars()})
    return found


# Writing the plan


async def apply(
    session: AsyncSession, done: Plan, cohort: Cohort, program: Program, by: Person | None, now: datetime
) -> None:
    """Write the plan in the caller's transaction (all or nothing) and queue each newcomer's notice."""
    new_ids = await _insert_persons(session, [o.entry for o in done.added if o.person_id is None], now)
    outcomes = [
        Outcome(o.entry, o.person_id if o.person_id is not None else new_ids[o.entry.email], o.joins, o.changes)
        for o in done.added + done.changed
    ]
    await _update_persons(session, [o for o in outcomes if {"name", "time zone"} & set(o.changes)])
    joining = [o for o in outcomes if o.joins]
    if joining:
        rows = [
            {
                "cohort_id": cohort.id,
                "person_id": o.person_id,
                "role": o.entry.role,
                "enrolled": True,
                "created_at": now,
            }
            for o in joining
        ]
        await session.execute(insert(Membership), rows)
    await _write_profiles(session, [o for o in outcomes if o.entry.role == program.guide_role], now)
    languages = await languages_of(session, [o.person_id for o in joining if o.person_id is not None])
    written: dict[tuple[str, str], Reply] = {}  # each notice once per language and role
    notices = []
    for o in joining:
        assert o.person_id is not None, "every newcomer was inserted above"
        key = (languages[o.person_id], o.entry.role)
        if key not in written:
            with speaking(key[0]):
                written[key] = notice(o.entry.role, cohort, program, by)
        notices.append(Queued(o.person_id, written[key]))
    await queue_each(session, notices, kind=NOTICE_KIND, now=now)


async def _insert_persons(session: AsyncSession, entries: list[Entry], now: datetime) -> dict[str, int]:
    rows = [
        {
            "email": entry.email,
            "display_name": display_name(entry),
            "timezone": entry.timezone,
            "timezone_chosen": False,
            "created_at": now,
        }
        for entry in entries
    ]
    ids: dict[str, int] = {}
    for part in chunks(rows):
        statement = insert(Person).returning(Person.id, Person.email)
        ids.update({email: person_id for person_id, email in (await session.execute(statement, part)).all()})
    return ids


def display_name(entry: Entry) -> str:
    return (entry.name or entry.email.split("@")[0])[:NAME_LIMIT]


async def _update_persons(session: AsyncSession, outcomes: list[Outcome]) -> None:
    """Each changed name and zone, one statement per kind of change (a zone only where not chosen:
    plan() left it out of the changes otherwise)."""
    names = [{"id": o.person_id, "display_name": o.entry.name} for o in outcomes if "name" in o.changes]
    zones = [{"id": o.person_id, "timezone": o.entry.timezone} for o in outcomes if "time zone" in o.changes]
    for rows in (names, zones):
        if rows:
            await session.execute(update(Person), rows)


async def _write_profiles(session: AsyncSession, outcomes: list[Outcome], now: datetime) -> None:
    wanted = [o for o in outcomes if o.entry.has_profile() and ("profile" in o.changes or o.joins)]
    stored = await _profiles(session, [o.person_id for o in wanted])  # type: ignore[misc]
    new_rows, changed_rows = [], []
    for o in wanted:
        expertise, interests, languages, capacity = _profile_values(o.entry, stored.get(o.person_id))  # type: ignore[arg-type]
        row = {
            "person_id": o.person_id,
            "expertise": expertise,
            "interests": interests,
            "languages": languages,
            "capacity": capacity,
            "updated_at": now,
        }
        if o.person_id not in stored:
            new_rows.append(row)
        elif _stored(stored[o.person_id]) != (expertise, interests, languages, capacity):
            changed_rows.append(row)
    if new_rows:
        await session.execute(insert(ProfileRow), new_rows)
    if changed_rows:
        await session.execute(update(ProfileRow), changed_rows)


# What the person is told


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def a_role(role: str) -> str:
    """ "a coach", "an organiser" in the reader's language (the article follows the English role id)."""
    words = _("an {role}") if article(role) == "an" else _("a {role}")
    return words.format(role=role_word(role))


def notice(role: str, cohort: Cohort, program: Program, by: Person | None) -> Reply:
    """The welcome of someone enrolled, in the language being spoken (the caller's `speaking`)."""
    who = f"{by.display_name} ({by.email})" if by is not None else _("Your program's coordinators")
    first = []
    if role == program.guide_role:
        first.append(
            _(
                "First, type `profile` to tell the coordinators your expertise, interests and languages, and how "
                "many people you can take on: they match you with {roles} by it."
            ).format(roles=role_word(program.guided_role, 2))
        )
    first.append(_("Type `help` to see what you can do, and `me` to check your name and time zone."))
    added = _("{who} added you to {cohort} as {role}.").format(
        who=who, cohort=cohort_of_program(cohort, program), role=a_role(role)
    )
    return Reply(
        f"{added} " + " ".join(first),
        title=_("Welcome to the {program}").format(program=program.short_name),
    )


def counts_words(done: Plan, refused: int = 0) -> str:
    parts = [
        _("{count} to add").format(count=len(done.added)),
        _("{count} to change").format(count=len(done.changed)),
        _("{count} unchanged").format(count=len(done.same)),
    ]
    if refused:
        parts.append(_("{count} refused").format(count=refused))
    return ", ".join(parts)


def outcome_lines(done: Plan) -> Iterable[str]:
    for o in done.added:
        entry = o.entry
        values = {"row": entry.row, "name": display_name(entry), "email": entry.email, "role": role_word(entry.role)}
        line = _("ADDED row {row}: {name} <{email}> as {role}") if entry.row else _("ADDED: {name} <{email}> as {role}")
        line = line.format(**values)
        yield line if o.person_id is None else f"{line} " + _("(known already)")
    for o in done.changed:
        changes = ", ".join(_(CHANGE_WORDS[change]) if change in CHANGE_WORDS else change for change in o.changes)
        line = _("CHANGED row {row}: {email} ({changes})") if o.entry.row else _("CHANGED: {email} ({changes})")
        yield line.format(row=o.entry.row, email=o.entry.email, changes=changes)
