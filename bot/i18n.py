"""The languages people read: English, the source, and Khmer for the Cambodian partners.

Every sentence a person reads is written as `_("… {name} …").format(name=…)`: a whole sentence with
named places, so a translator can reorder it. `ngettext` chooses a plural form; `N_` marks a sentence
kept in a constant, translated with `_` where it is shown. The language is the one of the person a
message is for: the engine sets the reader's at the start of a turn, and code writing to someone else
does so inside `speaking(their_language)`.

The catalogs are gettext .po files in `locale/` (Babel extracts them: `make translations`); a sentence
with no translation yet falls back to English and `python app.py translations` lists it. Dates, months
and weekdays come from Babel in the same language.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ENGLISH = "en"
KHMER = "km"
LANGUAGES = (ENGLISH, KHMER)  # the source language first
LANGUAGE_NAMES = {ENGLISH: "English", KHMER: "ខ្មែរ (Khmer)"}  # as each language names itself
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_reading: ContextVar[str] = ContextVar("language", default=ENGLISH)
# Program files' own words in other languages: {language: {English text: translation}}.
_program_words: dict[str, dict[str, str]] = {}


def _(message: str) -> str:
    """`message` in the reader's language (English when it has no translation yet)."""
    found = _catalog(_reading.get()).get(message)
    return found if isinstance(found, str) and found else message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The sentence for `count` things in the reader's language: Khmer has one form, English two."""
    found = _catalog(_reading.get()).get((singular, plural))
    if isinstance(found, tuple) and found and all(found):
        return found[0] if len(found) == 1 else found[0 if count == 1 else 1]
    return singular if count == 1 else plural


def N_(message: str) -> str:
    """Marks a sentence for translation where it is defined; `_()` translates it where it is shown."""
    return message


def program_words(text: str) -> str:
    """A program file's own text (a question, an objective, a phase's name) in the reader's language,
    when the file gives it (`question_km = "…"`); otherwise as the file says it."""
    return _program_words.get(_reading.get(), {}).get(text, text)


def learn_program_words(language: str, words: dict[str, str]) -> None:
    """Remember a program file's translations (the catalog of programs calls this as it loads them)."""
    _program_words.setdefault(language, {}).update(words)


# The roles programs name, as a sentence says them (program files use these ids).
ROLE_WORDS = {
    "coordinator": (N_("coordinator"), N_("coordinators")),
    "coach": (N_("coach"), N_("coaches")),
    "partner": (N_("partner"), N_("partners")),
    "participant": (N_("participant"), N_("participants")),
    "mentor": (N_("mentor"), N_("mentors")),
    "mentee": (N_("mentee"), N_("mentees")),
}


def role_word(role: str, count: int = 1) -> str:
    """ "coach", "coaches" (count other than 1) in the reader's language; an unknown role as it is."""
    words = ROLE_WORDS.get(role)
    if words is None:
        return role
    return _(words[0] if count == 1 else words[1])


def reading() -> str:
    """The language of the person this message is for."""
    return _reading.get()


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Write in `language` (a person's `persons.language`; None or unknown is English) until the block ends."""
    token = _reading.set(_known(language))
    try:
        yield
    finally:
        _reading.reset(token)


def switch_to(language: str | None) -> None:
    """From here on, write in `language`, up to the end of the enclosing `speaking` block (the engine's
    turn starts in English and switches once it knows who is writing)."""
    _reading.set(_known(language))


def _known(language: str | None) -> str:
    return language if language in LANGUAGES else ENGLISH


# What people may type after `language`, folded to lower case.
SPELLINGS = {
    "en": ENGLISH,
    "english": ENGLISH,
    "eng": ENGLISH,
    "km": KHMER,
    "kh": KHMER,
    "khmer": KHMER,
    "ខ្មែរ": KHMER,
    "ភាសាខ្មែរ": KHMER,
}


def language_typed(text: str) -> str | None:
    """The language `text` names ("km", "Khmer", "ខ្មែរ"), or None."""
    return SPELLINGS.get(" ".join(text.split()).casefold())


def language_of_locale(locale: str | None) -> str | None:
    """Our language for a platform's locale ("km-KH" → "km", "en-GB" → "en"); None for others."""
    if not isinstance(locale, str) or not locale:  # a platform's payload may carry anything here
        return None
    code = locale.replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else None


# Dates and times, written by Babel in the reader's language. A clock is always 24-hour: "15:00".


def weekday(day: date | datetime) -> str:
    return format_date(day, "EEEE", locale=_reading.get())


def month_name(day: date | datetime) -> str:
    return format_date(day, "LLLL", locale=_reading.get())


def month_year(day: date | datetime) -> str:
    """ "December 2026"."""
    return format_date(day, "LLLL y", locale=_reading.get())


def day_month(day: date | datetime) -> str:
    """ "8 December"."""
    return format_date(day, "d MMMM", locale=_reading.get())


def day_month_year(day: date | datetime) -> str:
    """ "8 December 2026"."""
    return format_date(day, "d MMMM y", locale=_reading.get())


def short_weekday(day: date | datetime) -> str:
    """ "Tue" in English; Khmer has no short form in common use, so its full name."""
    return format_date(day, "EEE" if _reading.get() == ENGLISH else "EEEE", locale=_reading.get())


def short_month(day: date | datetime) -> str:
    """ "Dec"."""
    return format_date(day, "MMM", locale=_reading.get())


def short_month_year(day: date | datetime) -> str:
    """ "Dec 2026"."""
    return format_date(day, "MMM y", locale=_reading.get())


def short_date(day: date | datetime) -> str:
    """ "08 Dec"."""
    return format_date(day, "dd MMM", locale=_reading.get())


def short_day_month(day: date | datetime) -> str:
    """ "8 Dec"."""
    return format_date(day, "d MMM", locale=_reading.get())


def short_day_month_year(day: date | datetime) -> str:
    """ "08 Dec 2026"."""
    return format_date(day, "dd MMM y", locale=_reading.get())


def clock(moment: datetime | time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


@cache
def _catalog(language: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """{msgid: translation} of the language's catalog (plural ids: a tuple of forms)."""
    if language == ENGLISH:
        return {}
    catalog = read_catalog(language)
    found: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            found[(message.id[0], message.id[1])] = tuple(message.string or ())
        elif message.string:
            found[message.id] = message.string
    return found


def warm_up() -> None:
    """Read every catalog now (about 0.1 s for Khmer), not in the first turn of someone who reads it."""
    for language in LANGUAGES:
        _catalog(language)


def read_catalog(language: str) -> "Catalog":
    # Babel's catalog reader only when a language other than English is first read (10 ms of imports).
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as po:
        return read_po(po, locale=language)
