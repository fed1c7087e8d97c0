"""`python app.py people import FILE.csv --cohort COHORT [--program PROGRAM] [--yes]`: the same import as a
CSV shared in chat (bot/people_csv.py, bot/enrolment.py), from the server's shell. It prints the preview;
only with --yes is anything written, in one transaction, and then only when no row is refused.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot import ending
from bot.cohorts import cohort_label
from bot.dialog import row_id
from bot.enrolment import apply, counts_words, plan
from bot.people_csv import CsvError, parse_people, preview, rows_words
from bot.programs import Program, ProgramCatalog
from storage.db import Database
from storage.models import Cohort

Print = Callable[[str], None]


class Refused(Exception):
    """The import cannot go ahead: the message says why."""


async def find_cohort(
    db: Database, catalog: ProgramCatalog, typed: str, program_typed: str | None
) -> tuple[Cohort, Program]:
    program = None
    if program_typed:
        program = catalog.get(program_typed) or catalog.find(program_typed)
        if program is None:
            raise Refused(
                f"there is no program '{program_typed}'; the programs are: {', '.join(p.id for p in catalog)}"
            )
    async with db.transaction() as session:
        given = row_id(typed.strip())
        query = select(Cohort).where(Cohort.id == given) if given is not None else select(Cohort)
        cohorts = [
            c
            for c in (await session.execute(query)).scalars()
            if (given is not None or c.name.lower() == typed.strip().lower())
            and (program is None or c.program_id == program.id)
        ]
    found = [(c, p) for c in cohorts if (p := catalog.get(c.program_id)) is not None]
    if not found:
        raise Refused(f"there is no cohort '{typed}'" + (f" in {program.id}" if program else ""))
    if len(found) > 1:
        names = ", ".join(f"{c.id} ({p.id})" for c, p in found)
        raise Refused(f"several cohorts are called '{typed}': {names}; give --program or the cohort's id")
    return found[0]


async def people_import(
    db: Database,
    catalog: ProgramCatalog,
    path: Path,
    cohort_typed: str,
    program_typed: str | None,
    *,
    yes: bool,
    valid_only: bool = False,
    now: datetime,
    out: Print = print,
) -> int:
    """Print the preview and, with `yes`, import. Returns the exit status (0 done or previewed, 2 refused)."""
    try:
        cohort, program = await find_cohort(db, catalog, cohort_typed, program_typed)
        if ending.has_ended(cohort, program, now):
            raise Refused(ending.refusal([(cohort, program)], "no one more is enrolled in it", "Nothing was imported."))
        data = await asyncio.to_thread(path.read_bytes)
        parsed = parse_people(data, program)
    except (Refused, CsvError) as error:
        out(f"people import: {error}")
        return 2
    except OSError as error:
        out(f"people import: cannot read {path}: {error.strerror}")
        return 2
    async with db.transaction() as session:
        done = await plan(session, cohort, program, parsed.entries)
        summary, lines = preview(done, parsed.refused)
        out(f"{cohort_label(cohort, program)}, from {path.name}: {summary}")
        for line in lines:
            out(f"  {line}")
        if not done.writes:
            out("Nothing would change; nothing was written.")
            return 0
        if parsed.refused and not valid_only:
            out(
                f"{rows_words(len(parsed.refused))} refused; nothing was written. Correct them and run again, or "
                f"add --valid-only to import only the valid {rows_words(len(parsed.entries))}."
            )
            return 2
        if not yes:
            out("Nothing was written. Add --yes to import.")
            return 0
        await apply(session, done, cohort, program, None, now)
    out(f"Imported: {counts_words(done)}. Everyone added is told through the assistant.")
    return 0
