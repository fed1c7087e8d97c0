"""A coach's or mentor's profile (storage/models.py Profile): what matching reads about a guide.

Expertise and interests are short texts in their own words (at most 500 characters each); languages are the
languages they work in, kept as written and compared without regard to case; capacity is how many people
they take (None: the program's default, `[matching] capacity`). Their time zone is the person's own.

A profile is made from an accepted coach's or mentor's application (`fill_from_application`), from a
people CSV (written directly), or with `profile`; once it exists, an application never overwrites it.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _
from bot.program_rules import GUIDE_ROLES
from bot.programs import Program
from storage.models import Application, Profile

TEXT_LIMIT = 500  # characters, as the columns hold
LOWEST_CAPACITY, HIGHEST_CAPACITY = 1, 20
LANGUAGE_LIMIT = 40  # characters for one language's name
EXPERTISE_ANSWERS = ("expertise",)  # application questions whose answers say what a guide offers
INTEREST_ANSWERS = ("interests", "goals")
LANGUAGE_ANSWER, CAPACITY_ANSWER = "languages", "capacity"
EMPTY_TEXT = {  # what a text field says when nothing was typed, by field
    "expertise": N_("Please type your expertise in a few words."),
    "interests": N_("Please type your interests in a few words."),
}
LONG_TEXT = {  # and when too much was
    "expertise": N_("Your expertise can be at most {limit} characters; that was {length}. Please shorten it."),
    "interests": N_("Your interests can be at most {limit} characters; that was {length}. Please shorten it."),
}


class ProfileError(ValueError):
    """Input a profile cannot take; the message says why, in words for the person who typed it."""


def is_guide(roles: Iterable[str]) -> bool:
    return any(role in GUIDE_ROLES for role in roles)


async def profile_of(session: AsyncSession, person_id: int) -> Profile | None:
    return await session.get(Profile, person_id)


async def own_profile(session: AsyncSession, person_id: int, now: datetime) -> Profile:
    """The person's profile, made empty if they have none yet."""
    found = await profile_of(session, person_id)
    if found is not None:
        return found
    profile = Profile(person_id=person_id, expertise="", interests="", languages=[], capacity=None, updated_at=now)
    session.add(profile)
    return profile


# Reading what people type


def checked_text(text: str, what: str) -> str:
    """The text of a field (`what`: "expertise" or "interests"), spaces tidied; ProfileError says what is wrong."""
    text = " ".join(text.split())
    if not text:
        raise ProfileError(_(EMPTY_TEXT.get(what, EMPTY_TEXT["expertise"])))
    if len(text) > TEXT_LIMIT:
        too_long = LONG_TEXT.get(what, LONG_TEXT["expertise"])
        raise ProfileError(_(too_long).format(limit=TEXT_LIMIT, length=len(text)))
    return text


def parsed_languages(text: str) -> list[str]:
    """ "English, Khmer" -> ["English", "Khmer"]: commas (or semicolons) separate; repeats are dropped."""
    found: list[str] = []
    for part in text.replace(";", ",").split(","):
        name = " ".join(part.split())
        if len(name) > LANGUAGE_LIMIT:
            raise ProfileError(
                _("`{typed}` is too long for a language's name. Separate languages with commas.").format(
                    typed=name[:60]
                )
            )
        if name and name.casefold() not in {known.casefold() for known in found}:
            found.append(name)
    if not found:
        raise ProfileError(_("Please type the languages you work in, separated by commas (like `English, Khmer`)."))
    if len(", ".join(found)) > TEXT_LIMIT:
        raise ProfileError(
            _("That list is longer than {limit} characters. Please name fewer languages.").format(limit=TEXT_LIMIT)
        )
    return found


def parsed_capacity(text: str) -> int:
    typed = text.strip()
    number = int(typed) if typed.isascii() and typed.isdigit() and len(typed) <= 3 else None
    if number is None or not LOWEST_CAPACITY <= number <= HIGHEST_CAPACITY:
        raise ProfileError(
            _("The number of people you take is a whole number from {lowest} to {highest}; `{typed}` is not.").format(
                lowest=LOWEST_CAPACITY, highest=HIGHEST_CAPACITY, typed=typed[:20]
            )
        )
    return number


# What matching reads


def matching_text(profile: Profile) -> str:
    return " ".join(part for part in (profile.expertise, profile.interests) if part)


def languages_of(profile: Profile | None) -> tuple[str, ...]:
    return tuple(str(language) for language in (profile.languages or [])) if profile else ()


def capacity_of(profile: Profile | None, answers: dict[str, object], program: Program) -> int:
    """The profile's capacity, else the application's capacity answer, else the program's default."""
    if profile is not None and profile.capacity is not None:
        return profile.capacity
    typed = str(answers.get(CAPACITY_ANSWER, ""))
    return int(typed) if typed.isascii() and typed.isdigit() else program.guide_capacity


# Filling a profile from an application


async def fill_from_application(
    session: AsyncSession, application: Application, program: Program, now: datetime
) -> Profile | None:
    """A new profile from an accepted coach's or mentor's application; None when they are no guide or
    already have one (their own words, or a CSV's, are kept)."""
    if program.guide_role not in application.roles or await profile_of(session, application.person_id):
        return None
    answers = application.answers
    texts = [m["text"] for m in application.materials.values() if isinstance(m, dict) and m.get("text")]
    expertise = _joined([*(answers.get(key) for key in EXPERTISE_ANSWERS), *texts])
    interests = _joined(answers.get(key) for key in INTEREST_ANSWERS)
    profile = Profile(
        person_id=application.person_id,
        expertise=expertise,
        interests=interests,
        languages=list(application_languages(answers)),
        capacity=_capacity_answer(answers.get(CAPACITY_ANSWER)),
        updated_at=now,
    )
    session.add(profile)
    return profile


def _joined(parts: Iterable[object]) -> str:
    """Answers joined, cut at a word to fit the column."""
    text = " ".join(" ".join(str(part).split()) for part in parts if part)
    if len(text) <= TEXT_LIMIT:
        return text
    return text[: TEXT_LIMIT + 1].rsplit(" ", 1)[0][:TEXT_LIMIT]


def application_languages(answers: dict[str, object]) -> tuple[str, ...]:
    """The languages an application names, where the program asks (a `languages` question); else none."""
    answer = answers.get(LANGUAGE_ANSWER)
    try:
        return tuple(parsed_languages(str(answer))) if answer else ()
    except ProfileError:
        return ()


def _capacity_answer(answer: object) -> int | None:
    try:
        return parsed_capacity(str(answer)) if answer else None
    except ProfileError:
        return None
