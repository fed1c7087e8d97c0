"""`my data`: everything the assistant holds about one person, walked from HOLDINGS, as JSON they can keep,
and a few plain lines that say what it amounts to (bot/privacy/summary.py).

A row is the person's when one of its table's person columns holds their id, or, for a table with a pair
column, when it belongs to a pair they are in. Secret columns (tokens) are left out. Other people appear
only as the person already sees them: a partner in one of their pairs by name, anyone else as "another
person"; an application they decided on as a coordinator shows their decision, not the applicant's texts.
"""

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import cohort_label
from bot.i18n import N_, _, speaking
from bot.privacy.holdings import HOLDINGS, Holding
from bot.programs import ProgramCatalog
from storage.models import Base, Cohort, DataExportLink, Pair, Person

SOMEONE_ELSE = N_("another person")
ABOUT = N_(
    "Everything the coaching assistant holds about you, table by table: what a row holds, why it is kept "
    "and for how long. Dates and times are in UTC (ISO 8601). Keys to things (calendar and download links) "
    "are left out. Other people are named only where you already see them: your partner in a pairing."
)
ANONYMOUS_ANSWERS = N_(
    "Your survey answers are not included: they are stored without any link to whoever gave them, so "
    "nobody, not even the assistant, can tell which answers are yours."
)
# The token in a link to a calendar invitation or a download, as messages to the person carry it.
LINK_KEY = re.compile(r"(/(?:calendar|exports|my-data)/)[A-Za-z0-9_-]+")
# Rows that name the person only because they acted on someone else's row: (whose row it is, what is shown).
OTHERS_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "applications": ("person_id", ("id", "cohort_id", "status", "decided_at", "decided_by_id")),
}


def personal_holdings() -> tuple[Holding, ...]:
    """The tables whose rows can name a person: the ones an export walks."""
    return tuple(holding for holding in HOLDINGS if holding.person_columns or holding.pair_column)


async def personal_data(
    session: AsyncSession, person: Person, programs: ProgramCatalog, now: datetime
) -> dict[str, Any]:
    """Every row naming `person`, as JSON values, grouped by table with the table's words in the person's
    language (the download link opens outside any turn); read now."""
    with speaking(person.language):
        return await _personal_data(session, person, programs, now)


async def _personal_data(
    session: AsyncSession, person: Person, programs: ProgramCatalog, now: datetime
) -> dict[str, Any]:
    pairs = select(Pair.id).where(or_(Pair.guide_id == person.id, Pair.guided_id == person.id))
    partners = await _partner_names(session, person.id)
    tables: dict[str, Any] = {}
    for holding in personal_holdings():
        rows = (await session.execute(_rows_query(holding, person.id, pairs))).mappings()
        tables[holding.table] = {
            **holding.words(),
            "rows": [_exported(holding, dict(row), person.id, partners) for row in rows],
        }
    cohorts = await _cohorts(session, tables, programs)
    return {
        "exported_at": now.isoformat(),
        "about": _(ABOUT),
        "anonymous_survey_answers": _(ANONYMOUS_ANSWERS),
        "cohorts": cohorts,
        "programs": _programs(tables, cohorts, programs),
        "tables": tables,
    }


def _rows_query(holding: Holding, person_id: int, pairs: Select[tuple[int]]) -> Select[Any]:
    table = Base.metadata.tables[holding.table]
    conditions = [table.c[name] == person_id for name in holding.person_columns]
    if holding.pair_column:
        conditions.append(table.c[holding.pair_column].in_(pairs))
    shown = [column for column in table.c if column.name not in holding.secret_columns]
    return select(*shown).where(or_(*conditions)).order_by(*table.primary_key.columns)


async def _partner_names(session: AsyncSession, person_id: int) -> dict[int, str]:
    """The people in a pair with this person, whose names they see in every message about the pairing."""
    query = select(Pair.guide_id, Pair.guided_id).where(or_(Pair.guide_id == person_id, Pair.guided_id == person_id))
    others = {guide if guided == person_id else guided for guide, guided in (await session.execute(query))}
    others.discard(person_id)
    if not others:
        return {}
    names = await session.execute(select(Person.id, Person.display_name).where(Person.id.in_(others)))
    return {person: name for person, name in names}


def _exported(holding: Holding, row: dict[str, Any], person_id: int, partners: dict[int, str]) -> dict[str, Any]:
    owner, shown = OTHERS_ROWS.get(holding.table, ("", ()))
    if owner and row[owner] != person_id:
        row = {name: row[name] for name in shown}
    return {name: _value(name, value, holding, person_id, partners) for name, value in row.items()}


def _value(name: str, value: Any, holding: Holding, person_id: int, partners: dict[int, str]) -> Any:
    if name in holding.person_columns and value is not None and value != person_id:
        return partners.get(value, _(SOMEONE_ELSE))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _without_keys(value)


def _without_keys(value: Any) -> Any:
    """A stored message or dialog state with the tokens of its links left out: a file that is shared on
    must not open anyone's calendar invitation or download."""
    if isinstance(value, str):
        return LINK_KEY.sub(r"\1(left out)", value)
    if isinstance(value, list):
        return [_without_keys(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_keys(item) for key, item in value.items()}
    return value


async def _cohorts(session: AsyncSession, tables: dict[str, Any], programs: ProgramCatalog) -> list[dict[str, Any]]:
    """The cohorts the rows name, with the label people see them by ("AAHSL 2026-27")."""
    ids = {
        row["cohort_id"] for table in tables.values() for row in table["rows"] if isinstance(row.get("cohort_id"), int)
    }
    if not ids:
        return []
    found = (await session.execute(select(Cohort).where(Cohort.id.in_(ids)).order_by(Cohort.id))).scalars()
    return [
        {"id": c.id, "label": cohort_label(c, programs.get(c.program_id)), "program_id": c.program_id} for c in found
    ]


def _programs(tables: dict[str, Any], cohorts: list[dict[str, Any]], programs: ProgramCatalog) -> list[dict[str, str]]:
    """The programs the rows name, by the name people know them by."""
    ids = {cohort["program_id"] for cohort in cohorts}
    ids |= {row["program_id"] for table in tables.values() for row in table["rows"] if row.get("program_id")}
    named = []
    for program_id in sorted(ids):
        program = programs.get(program_id)
        named.append({"id": program_id, "name": program.short_name if program else program_id})
    return named


# The download link


LINK_LIFETIME = timedelta(minutes=15)
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")  # what secrets.token_urlsafe makes; anything else is refused unread


async def new_link(session: AsyncSession, person: Person, now: datetime) -> str:
    """A fresh unguessable token for the person's download; the file is put together when it is opened."""
    token = secrets.token_urlsafe(32)
    session.add(DataExportLink(token=token, person_id=person.id, expires_at=now + LINK_LIFETIME, created_at=now))
    return token


async def linked_data(
    session: AsyncSession, token: str, programs: ProgramCatalog, now: datetime
) -> dict[str, Any] | None:
    """The export a link names, read now, for the person who asked for it; None if the link is malformed,
    unknown or expired."""
    if not TOKEN.fullmatch(token):
        return None
    link = await session.get(DataExportLink, token)
    if link is None or link.expires_at <= now:
        return None
    person = await session.get(Person, link.person_id)
    return await personal_data(session, person, programs, now) if person is not None else None
