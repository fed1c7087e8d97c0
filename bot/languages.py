"""Which language each person reads: the platform's locale at first contact, or their own `language` choice."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import ENGLISH, language_of_locale
from storage.models import Person


async def language_of(session: AsyncSession, person_id: int) -> str:
    """The language to write to this person in (English for someone unknown)."""
    found = await session.scalar(select(Person.language).where(Person.id == person_id))
    return found or ENGLISH


async def languages_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """{person id: language} for many people in one query; everyone asked for is in it."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.language).where(Person.id.in_(wanted)))
    found = {person_id: language or ENGLISH for person_id, language in rows}
    return {person_id: found.get(person_id, ENGLISH) for person_id in wanted}


def by_language(languages: dict[int, str]) -> dict[str, list[int]]:
    """People grouped by the language they read, to write one message per language."""
    groups: dict[str, list[int]] = {}
    for person_id, language in sorted(languages.items()):
        groups.setdefault(language, []).append(person_id)
    return groups


def apply_platform_locale(person: Person, locale: str | None) -> None:
    """A platform's locale sets the language until the person chooses one with `language`."""
    language = language_of_locale(locale)
    if language is not None and not person.language_chosen:
        person.language = language
