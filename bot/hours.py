"""Coach hours: time a coach spends for their program outside meetings, against the program's commitment.

A program with `[coach_hours]` (IATUL SIG-ALICE: 2-5 hours a month) asks its coaches to log that time by
category (`log 2h resources`, `log 90m answering questions yesterday`). An entry keeps the minutes, one
of the program's categories and the day in the coach's own zone; never what the time was spent on.

Reading what was typed: the amount comes first wherever it is ("2h", "90m", "1.5 hours", "2 hours 30
minutes", "2h30"); the words right after it name the category, by a word or the start of one
("resources" is "collating resources"); what follows is the day, read by dateparser in the coach's zone
preferring the past ("Friday" is the last Friday; "3 March" typed in November is the March before).
Words after the day are not kept. Bad input raises HoursError with the sentence that tells the person.

The job "hours-reminders" (subject "month:2026-11") runs on the 25th, early enough to reach every coach at
09:00 in their own zone: a coach under the commitment for that month gets one reminder, and the next
month's job is planned.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.checkins import first_moment, local_moment
from bot.cohorts import add_months, cohort_label
from bot.i18n import N_, _, month_name, month_year, program_words, short_day_month, short_weekday, speaking
from bot.messages import Reply, all_of
from bot.programs import CoachHours, Program, ProgramCatalog
from bot.roles import Roles
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import long_date, today_in
from bot.when import LANGUAGES
from storage.models import Cohort, HourEntry, Membership, Person

REMIND, REMINDER_KIND = "hours-reminders", "hours-reminder"
REMIND_DAY, REMIND_AT = 25, time(9)
DAY_MINUTES = 24 * 60
LATE = timedelta(days=31)  # hours may still be logged this long after a cohort has ended
MAX_DAY_WORDS = 5  # the longest day phrase tried ("last friday of october")

_NUMBER = r"\d+(?:[.,]\d+)?|[.,]\d+"
_HOUR = r"hours|hour|hrs|hr|h"
_MINUTE = r"minutes|minute|mins|min|m"
AMOUNT = re.compile(
    rf"(?<![\w.,])(?P<sign>[-−–+])?(?P<number>{_NUMBER})\s*"
    rf"(?:(?P<hours>{_HOUR})(?:(?P<joined>\d{{2}})|\s*(?:and\s+)?(?P<extra>\d{{1,2}})\s*(?:{_MINUTE}))?"
    rf"|(?P<minutes>{_MINUTE}))(?!\w)",
    re.IGNORECASE,
)
BARE_NUMBER = re.compile(rf"^[-−–+]?(?:{_NUMBER})$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october")
_MONTHS += ("november", "december")
DAY_WORDS = frozenset(
    {"on", "today", "yesterday", "tomorrow", "last", "this", "next", "sept", "tues", "thur", "thurs"}
    | set(_WEEKDAYS)
    | {day[:3] for day in _WEEKDAYS}
    | set(_MONTHS)
    | {month[:3] for month in _MONTHS}
)
# A number that starts a day: "3" (of "3 March"), "3rd", "22/11", "2026-11-20".
DAY_NUMBER = re.compile(r"^(?:\d{1,2}(?:st|nd|rd|th)?|\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?)$", re.IGNORECASE)
FILLER = frozenset({"of"})  # "log 2 hours of answering questions"
# Where a month's total stands against the commitment: the key `standing` gives, as people read it.
STANDING_WORDS = {"under": N_("under"), "within": N_("within"), "over": N_("over")}
AGAINST_WORDS = {
    "under": N_("under the {commitment}"),
    "within": N_("within the {commitment}"),
    "over": N_("over the {commitment}"),
}


class HoursError(Exception):
    """Input that cannot be logged, with the sentence that tells the person why."""


@dataclass(frozen=True)
class Reading:
    """What one `log` (or `hours change`) said, checked against one program's categories."""

    minutes: int | None  # None: no amount given
    categories: tuple[str, ...]  # (): none named; one: that one; more: the person must choose
    day: date | None  # None: no day given
    left_over: bool  # words were typed that are not kept


def read(text: str, program: Program, zone: str, now: datetime, *, amount_required: bool = True) -> Reading:
    """Amount, category and day from what followed `log`; HoursError when something cannot be read."""
    text = " ".join(text.split())
    minutes, rest = _amount(text, amount_required)
    words = [word.strip(",.;:!?()\"'") for word in rest.split()]
    words = [word for word in words if word]
    while words and words[0].lower() in FILLER:
        words = words[1:]
    used, categories = pick_category(words, categories_of(program))
    if not used and words and not _looks_like_day(words[0]):
        raise HoursError(
            _("{program} has no category `{word}`: its categories are {categories}.").format(
                program=program.short_name, word=words[0][:30], categories=listed_categories(program)
            )
        )
    words = words[used:]
    day, used = read_day(words, zone, now)
    if day is None and words and _looks_like_day(words[0]):
        phrase = " ".join(words[:MAX_DAY_WORDS])
        raise HoursError(
            _("I couldn't read `{phrase}` as a day. Try `yesterday`, `Friday` or `3 November`.").format(
                phrase=phrase[:40]
            )
        )
    return Reading(minutes, categories, day, left_over=len(words) > used)


def categories_of(program: Program) -> tuple[str, ...]:
    """The program's categories ("other" alone when its file lists none)."""
    return (program.coach_hours.categories if program.coach_hours else ()) or ("other",)


def category_words(category: str) -> str:
    """A category as people read it: the program file's own words in the reader's language ("other", the
    category of a program that lists none, is ours)."""
    found = program_words(category)
    return _("other") if found == category == "other" else found


def listed_categories(program: Program) -> str:
    """ "collating resources, answering questions and other", in the reader's language."""
    return all_of(tuple(category_words(c) for c in categories_of(program)))


def _amount(text: str, required: bool) -> tuple[int | None, str]:
    match = AMOUNT.search(text)
    if match is None:
        first = text.split(" ", 1)[0][:12]
        if BARE_NUMBER.match(first):
            raise HoursError(
                _("`{number}` needs a unit: write `{number}h` for hours or `{number}m` for minutes.").format(
                    number=first
                )
            )
        if required:
            raise HoursError(_("I couldn't read how long it took. Write it like `2h`, `90m`, `1.5 hours` or `2h 30m`."))
        return None, text
    number = float(match["number"].replace(",", "."))
    extra = int(match["joined"] or match["extra"] or 0)
    minutes = round(number * 60) + extra if match["hours"] else round(number)
    if match["sign"] in ("-", "−", "–") or minutes <= 0:
        raise HoursError(
            _("`{amount}` is no time at all: log an amount above zero, like `30m` or `2h`.").format(
                amount=match[0].strip()[:20]
            )
        )
    if minutes > DAY_MINUTES:
        raise HoursError(_("`{amount}` is more than the 24 hours in one day.").format(amount=match[0].strip()[:20]))
    return minutes, f"{text[: match.start()]} {text[match.end() :]}".strip()


def _category_words(category: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", category.lower())


def _named_by(word: str, categories: tuple[str, ...]) -> set[str]:
    """The categories `word` names: a whole word of theirs, else (3 letters or more) the start of one."""
    word = word.lower()
    exact = {c for c in categories if word in _category_words(c)}
    if exact or len(word) < 3:
        return exact
    return {c for c in categories if any(part.startswith(word) for part in _category_words(c))}


def pick_category(words: list[str], categories: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """(how many leading words name categories, the categories they name, in the program's order).

    "connecting to experts" and "experts" name one; "resources questions" names two, to choose from."""
    named: list[set[str]] = []
    for word in words:
        found = _named_by(word, categories)
        if not found:
            break
        if len(word) < 3 and not (named and found & set.intersection(*named)):
            break  # a short word ("to") only continues a category already named
        named.append(found)
    if not named:
        return 0, ()
    chosen = set.intersection(*named) or set.union(*named)
    return len(named), tuple(c for c in categories if c in chosen)


def _looks_like_day(word: str) -> bool:
    return word.lower() in DAY_WORDS or DAY_NUMBER.match(word) is not None


def read_day(words: list[str], zone: str, now: datetime) -> tuple[date | None, int]:
    """The day the leading words name, in `zone`, and how many words that took (a leading "on" with it).

    The longest phrase dateparser reads wins; it must start like a day ("yesterday", "Friday", "3 March"),
    and a lone number is not a day (dateparser reads "3" as March)."""
    start = 1 if words and words[0].lower() == "on" else 0
    if len(words) <= start or not _looks_like_day(words[start]):
        return None, 0
    base = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    settings = {"RELATIVE_BASE": base, "TIMEZONE": zone, "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DATES_FROM": "past"}
    for end in range(min(len(words), start + MAX_DAY_WORDS), start, -1):
        phrase = " ".join(words[start:end])
        if BARE_NUMBER.match(phrase):
            continue
        parsed = dateparser.parse(phrase, languages=LANGUAGES, settings=settings)
        if parsed is not None:
            return parsed.astimezone(ZoneInfo(zone)).date(), end
    return None, 0


# Showing amounts and months


def duration(minutes: int) -> str:
    """ "1h 30m", "2h", "45m", "0h" """
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("{hours}h {minutes}m").format(hours=hours, minutes=rest)
    if rest and not hours:
        return _("{minutes}m").format(minutes=rest)
    return _("{hours}h").format(hours=hours)


def commitment(hours: CoachHours) -> str:
    """ "2-5 hours a month" """
    if hours.min_per_month == hours.max_per_month:
        return _("{hours} hours a month").format(hours=f"{hours.min_per_month:g}")
    return _("{least}-{most} hours a month").format(least=f"{hours.min_per_month:g}", most=f"{hours.max_per_month:g}")


def standing(minutes: int, hours: CoachHours) -> str:
    """ "under", "within" or "over" the commitment: a key (standing_word says it to people)"""
    if minutes < hours.min_per_month * 60:
        return "under"
    return "over" if minutes > hours.max_per_month * 60 else "within"


def standing_word(minutes: int, hours: CoachHours) -> str:
    """ "under", "within" or "over", in the reader's language."""
    return _(STANDING_WORDS[standing(minutes, hours)])


def against(minutes: int, hours: CoachHours) -> str:
    """ "under the 2-5 hours a month", in the reader's language."""
    return _(AGAINST_WORDS[standing(minutes, hours)]).format(commitment=commitment(hours))


def month_label(first: date) -> str:
    """ "November 2026" """
    return month_year(first)


def day_label(day: date) -> str:
    """ "Sun 22 Nov" """
    return _("{weekday} {date}").format(weekday=short_weekday(day), date=short_day_month(day))


def months_of(cohort: Cohort, today: date) -> list[date]:
    """The first day of each month of the cohort up to today's (or its last), newest first."""
    first, last = cohort.starts_on.replace(day=1), min(today, cohort.ends_on).replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months[::-1]


# Who logs, and what is logged


async def coach_cohorts(
    session: AsyncSession, roles: Roles, programs: ProgramCatalog, today: date
) -> list[tuple[Cohort, Program]]:
    """The cohorts where the person coaches (or mentors) in a program that counts hours, and which have
    started and not ended more than LATE ago."""
    found = []
    for entry in roles.in_cohorts:
        program = programs.get(entry.program_id)
        if program is None or program.coach_hours is None or entry.role != program.guide_role:
            continue
        cohort = await session.get_one(Cohort, entry.cohort_id)
        if cohort.starts_on <= today <= cohort.ends_on + LATE:
            found.append((cohort, program))
    return found


async def coordinated_cohorts(
    session: AsyncSession, roles: Roles, programs: ProgramCatalog, today: date
) -> list[tuple[Cohort, Program]]:
    """The running cohorts the person coordinates, in programs that count hours."""
    counted = {p.id: p for p in programs if p.coach_hours is not None and roles.coordinates(p.id)}
    if not counted:
        return []
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_(list(counted)), Cohort.starts_on <= today, Cohort.ends_on >= today - LATE)
        .where(roles.coordinated_cohorts())
        .order_by(Cohort.program_id, Cohort.starts_on.desc())
    )
    return [(cohort, counted[cohort.program_id]) for cohort in (await session.execute(query)).scalars()]


async def check_entry(
    session: AsyncSession,
    person_id: int,
    cohort: Cohort,
    program: Program,
    day: date,
    minutes: int,
    today: date,
    *,
    replacing: int | None = None,
) -> None:
    """HoursError unless `minutes` on `day` can be logged in the cohort (`replacing`: the entry changed)."""
    if day > today:
        raise HoursError(_("{date} is in the future: log time once it is spent.").format(date=long_date(day)))
    if day < cohort.starts_on:
        raise HoursError(
            _("{date} is before {program} began, on {start}.").format(
                date=long_date(day), program=program.short_name, start=long_date(cohort.starts_on)
            )
        )
    if day > cohort.ends_on:
        raise HoursError(
            _("{date} is after {program} ended, on {end}.").format(
                date=long_date(day), program=program.short_name, end=long_date(cohort.ends_on)
            )
        )
    query = select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
        HourEntry.person_id == person_id, HourEntry.worked_on == day
    )
    if replacing is not None:
        query = query.where(HourEntry.id != replacing)
    logged = int((await session.execute(query)).scalar_one())
    if logged + minutes > DAY_MINUTES:
        raise HoursError(
            _(
                "You have logged {logged} on {date} already; {more} more would be more than the 24 hours in a day."
            ).format(logged=duration(logged), date=long_date(day), more=duration(minutes))
        )


async def entries_of_month(session: AsyncSession, person_id: int, month: date) -> list[HourEntry]:
    """The person's entries of the month (all cohorts), by day: the numbers `hours` shows."""
    query = (
        select(HourEntry)
        .where(HourEntry.person_id == person_id, HourEntry.worked_on >= month)
        .where(HourEntry.worked_on < add_months(month, 1))
        .order_by(HourEntry.worked_on, HourEntry.id)
    )
    return list((await session.execute(query)).scalars())


async def monthly_totals(session: AsyncSession, cohort_id: int) -> dict[tuple[int, date], int]:
    """Minutes logged in the cohort by (person id, first day of the month)."""
    query = select(HourEntry.person_id, HourEntry.worked_on, HourEntry.minutes).where(HourEntry.cohort_id == cohort_id)
    totals: dict[tuple[int, date], int] = defaultdict(int)
    for person_id, worked_on, minutes in (await session.execute(query)).all():
        totals[(person_id, worked_on.replace(day=1))] += minutes
    return totals


async def month_totals(session: AsyncSession, cohort_id: int, month: date) -> dict[int, int]:
    """Minutes logged in the cohort in one month, by person id."""
    query = (
        select(HourEntry.person_id, func.sum(HourEntry.minutes))
        .where(HourEntry.cohort_id == cohort_id, HourEntry.worked_on >= month)
        .where(HourEntry.worked_on < add_months(month, 1))
        .group_by(HourEntry.person_id)
    )
    return {person_id: int(minutes) for person_id, minutes in (await session.execute(query)).all()}


async def coaches_of(session: AsyncSession, cohort: Cohort, program: Program) -> list[Person]:
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == program.guide_role)
        .order_by(Person.display_name, Person.id)
    )
    return list((await session.execute(query)).scalars())


# The monthly reminder


def _subject(month: date) -> str:
    return f"month:{month:%Y-%m}"


async def _plan_month(session: AsyncSession, month: date, now: datetime) -> None:
    await schedule(session, REMIND, _subject(month), first_moment(month.replace(day=REMIND_DAY), REMIND_AT), now)


async def plan_reminders(session: AsyncSession, now: datetime) -> None:
    """At start: this month's reminder, or next month's once this month's moment has come."""
    month = now.date().replace(day=1)
    if first_moment(month.replace(day=REMIND_DAY), REMIND_AT) <= now:
        month = add_months(month, 1)
    await _plan_month(session, month, now)


async def remind(context: JobContext) -> None:
    """One reminder to each coach under their program's commitment for the month; plan next month's."""
    session, now = context.session, context.now
    month = date.fromisoformat(context.job.subject.removeprefix("month:") + "-01")
    next_month = add_months(month, 1)
    counted = {p.id: p for p in context.programs if p.coach_hours is not None}
    query = select(Cohort).where(Cohort.program_id.in_(list(counted)))
    # Only cohorts still running on the reminder's day: after its end, a cohort's scheduled work stops.
    query = query.where(
        Cohort.starts_on <= month.replace(day=REMIND_DAY), Cohort.ends_on >= month.replace(day=REMIND_DAY)
    )
    for cohort in (await session.execute(query.order_by(Cohort.id))).scalars():
        program = counted[cohort.program_id]
        totals = await month_totals(session, cohort.id, month)
        for coach in await coaches_of(session, cohort, program):
            logged = totals.get(coach.id, 0)
            zone = coach.timezone or "UTC"
            if standing(logged, program.coach_hours) != "under" or today_in(now, zone) >= next_month:
                continue
            due_at = local_moment(month.replace(day=REMIND_DAY), REMIND_AT, zone)
            if due_at < now:  # the job ran late (the server was down): now, unless it is night for them
                due_at = outbox.next_daytime(now, zone) or now
            with speaking(coach.language):  # in the coach's own language
                reply = _reminder(program, cohort, month, logged)
            ref = f"hours:{cohort.id}:{month:%Y-%m}"
            outbox.queue(session, coach.id, reply, kind=REMINDER_KIND, now=now, due_at=due_at, ref=ref)
    await _plan_month(session, next_month, now)


def _reminder(program: Program, cohort: Cohort, month: date, logged: int) -> Reply:
    """The reminder, in the language being spoken (the caller's `speaking`)."""
    assert program.coach_hours is not None
    word = categories_of(program)[0].split()[-1]  # typed in a command, so as the program file says it
    if logged:
        first = _(
            "A gentle reminder: you have logged {logged} so far for {program} in {month}, and the program asks "
            "{commitment} outside meetings ({categories})."
        )
    else:
        first = _(
            "A gentle reminder: you have logged no time yet for {program} in {month}, and the program asks "
            "{commitment} outside meetings ({categories})."
        )
    text = first.format(
        logged=duration(logged),
        program=program.short_name,
        month=month_name(month),
        commitment=commitment(program.coach_hours),
        categories=listed_categories(program),
    )
    how = _("If you spent time on it, log it with `log 1h {word}` or `log 90m {word} yesterday`.").format(word=word)
    return Reply(
        f"{text} {how} " + _("Type `hours` to see your months."),
        title=_("Coach hours for {month}, {cohort}").format(
            month=month_label(month), cohort=cohort_label(cohort, program)
        ),
    )


JOBS: dict[str, JobHandler] = {REMIND: remind}
