"""Reading a CSV of people to enrol, and its preview.

Columns (header names in any case): email and role (required), name, time zone ("timezone", "time zone"
or "time_zone"), capacity, expertise, interests, languages (separated by ";" or ","). The file must be
UTF-8 (with or without a byte-order mark) and hold at most MAX_ROWS rows. A file that cannot be read is
refused as a whole (CsvError); a row with a problem is refused with its row number and why, and the
others can still be imported. What is wrong is said in the reader's language; the column names are English.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from bot.enrolment import Entry, Plan, counts_words, outcome_lines, read_email, read_role, roles_words
from bot.i18n import N_, _, ngettext
from bot.messages import all_of
from bot.programs import Program
from bot.timezones import is_valid_timezone

MAX_ROWS = 5000
TEXT_LIMIT = 500  # profiles.expertise / interests, and the languages as written
NAME_LIMIT = 200
CAPACITY = range(1, 51)
PREVIEW_LINES = 20
NOT_UTF8 = N_("This file is not UTF-8 text: save it as CSV UTF-8 and share it again.")
HEADERS = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "name": "name",
    "role": "role",
    "timezone": "timezone",
    "time zone": "timezone",
    "time_zone": "timezone",
    "capacity": "capacity",
    "expertise": "expertise",
    "interests": "interests",
    "languages": "languages",
    "language": "languages",
}
REQUIRED = ("email", "role")


class CsvError(Exception):
    """The whole file is refused: the message says why, in words for the coordinator."""


@dataclass(frozen=True)
class Refusal:
    row: int
    email: str
    why: str


@dataclass
class Parsed:
    entries: list[Entry] = field(default_factory=list)  # the rows that can be imported
    refused: list[Refusal] = field(default_factory=list)


def rows_words(count: int) -> str:
    """ "1 row", "5,000 rows"."""
    return ngettext("{count} row", "{count} rows", count).format(count=f"{count:,}")


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(_(NOT_UTF8)) from None
    if "\x00" in text:  # UTF-16 without a byte-order mark decodes, but is not text
        raise CsvError(_(NOT_UTF8))
    return text


def read_rows(data: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The columns found (our name -> position) and the non-empty rows with their row numbers."""
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first and ";" in first else "\t" if "," not in first and "\t" in first else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise CsvError(_("This file could not be read as CSV (a cell is too long or a quote is not closed).")) from None
    if not records:
        raise CsvError(_("This file is empty: it needs a header row with at least the columns email and role."))
    columns: dict[str, int] = {}
    for position, header in enumerate(records[0]):
        name = HEADERS.get(" ".join(header.strip().lower().split()))
        if name is not None and name not in columns:
            columns[name] = position
    missing = [name for name in REQUIRED if name not in columns]
    if len(missing) > 1:
        raise CsvError(_("The header row has no email and no role column; these are needed: email, role."))
    if missing:
        raise CsvError(
            _("The header row has no {column} column; these are needed: email, role.").format(column=missing[0])
        )
    rows = [(number, cells) for number, cells in enumerate(records[1:], 2) if any(c.strip() for c in cells)]
    if len(rows) > MAX_ROWS:
        raise CsvError(
            _(
                "This file has {count} rows; at most {maximum} can be imported at once. "
                "Split it into smaller files. Nothing was imported."
            ).format(count=f"{len(rows):,}", maximum=f"{MAX_ROWS:,}")
        )
    return columns, rows


def parse_people(data: bytes, program: Program) -> Parsed:
    """Every row checked against the program; raises CsvError when the file as a whole is refused."""
    columns, rows = read_rows(data)
    result = Parsed()
    problems: dict[int, list[str]] = defaultdict(list)
    entries: dict[int, Entry] = {}
    emails: dict[int, str] = {}
    for number, cells in rows:
        cell = {name: (cells[pos].strip() if pos < len(cells) else "") for name, pos in columns.items()}
        entry = _entry(number, cell, program, problems[number])
        emails[number] = read_email(cell["email"]) or cell["email"][:80]
        if entry is not None:
            entries[number] = entry
    _refuse_twice(emails, problems)
    for number, _cells in rows:
        if problems[number]:
            result.refused.append(Refusal(number, emails[number], "; ".join(problems[number])))
        else:
            result.entries.append(entries[number])
    return result


def _entry(number: int, cell: dict[str, str], program: Program, problems: list[str]) -> Entry | None:
    email = read_email(cell["email"])
    if email is None:
        problems.append(_("no email address") if not cell["email"] else _("not an email address"))
    role = read_role(cell["role"], program)
    if role is None:
        typed = cell["role"][:40]
        if typed:
            problems.append(_("unknown role '{role}' (roles: {roles})").format(role=typed, roles=roles_words(program)))
        else:
            problems.append(_("no role"))
    zone = cell.get("timezone") or None
    if zone is not None and not is_valid_timezone(zone):
        problems.append(_("unknown time zone '{zone}' (write it like America/Chicago)").format(zone=zone[:60]))
    capacity = _capacity(cell.get("capacity", ""), problems)
    name = cell.get("name") or None
    if name is not None and len(name) > NAME_LIMIT:
        problems.append(_("the name is longer than {limit} characters").format(limit=NAME_LIMIT))
    for column in ("expertise", "interests", "languages"):
        if len(cell.get(column, "")) > TEXT_LIMIT:
            problems.append(_("{column} is longer than {limit} characters").format(column=column, limit=TEXT_LIMIT))
    if problems or email is None or role is None:
        return None
    return Entry(
        email=email,
        role=role,
        name=name,
        timezone=zone,
        capacity=capacity,
        expertise=cell.get("expertise"),
        interests=cell.get("interests"),
        languages=_languages(cell["languages"]) if "languages" in cell else None,
        row=number,
    )


def _capacity(typed: str, problems: list[str]) -> int | None:
    if not typed:
        return None
    if typed.isascii() and typed.isdigit() and int(typed) in CAPACITY:
        return int(typed)
    problems.append(_("capacity must be a whole number from 1 to 50, not '{typed}'").format(typed=typed[:20]))
    return None


def _languages(typed: str) -> tuple[str, ...]:
    parts = (part.strip() for part in typed.replace(";", ",").split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


def _refuse_twice(emails: dict[int, str], problems: dict[int, list[str]]) -> None:
    """Every row of an email that appears more than once is refused: which one is meant is unclear."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for number, email in emails.items():
        if read_email(email) is not None:
            rows_of[email].append(number)
    for numbers in rows_of.values():
        if len(numbers) > 1:
            listed = all_of([str(n) for n in numbers])
            if len(numbers) == 2:
                problem = _("appears twice, rows {rows}").format(rows=listed)
            else:
                problem = _("appears {count} times, rows {rows}").format(count=len(numbers), rows=listed)
            for number in numbers:
                problems[number].append(problem)


# The preview


def preview(done: Plan, refused: list[Refusal], limit: int = PREVIEW_LINES) -> tuple[str, list[str]]:
    """A one-line count and at most `limit` lines (then "and N more"): who would be added, changed, refused."""
    lines = list(outcome_lines(done))
    lines += [
        _("REFUSED row {row}: {email}: {why}").format(row=r.row, email=r.email or _("(no email)"), why=r.why)
        for r in refused
    ]
    if len(lines) > limit:
        lines = [*lines[:limit], _("and {count} more").format(count=f"{len(lines) - limit:,}")]
    rows = len(done.added) + len(done.changed) + len(done.same) + len(refused)
    return _("{count} rows: {outcome}.").format(count=f"{rows:,}", outcome=counts_words(done, len(refused))), lines
