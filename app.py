"""The coaching assistant's command line (the assistant itself is put together in wiring.py).

python app.py [serve]              the HTTP server (Slack, Teams, /healthz) on PORT (server.py)
python app.py serve --workers N    the same in N processes sharing PORT (PostgreSQL only)
python app.py chat --user EMAIL    the assistant in this terminal
python app.py demo                 create the demo cohorts and people
python app.py db upgrade           apply database migrations
python app.py programs check       validate the program files
python app.py translations         list the sentences with no Khmer translation yet
python app.py cohorts create PROGRAM --starts YYYY-MM-DD [--region REGION] [--name NAME]
                                   create a cohort (in a program with regions, one per region)
python app.py people import FILE.csv --cohort COHORT [--program PROGRAM] [--yes] [--valid-only]
                                   enrol people who do not apply, after a preview
"""

import argparse
import asyncio
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.console import ConsoleChat
from bot import jobs, people_cli
from bot import network as bot_network
from bot.cohorts import calendar_lines, cohort_label
from bot.config import ConfigError, Settings, load_settings
from bot.demo import DEMO_PEOPLE, seed_demo
from bot.programs import ProgramCatalog, ProgramError, load_programs
from bot.timezones import date_span
from storage import migrate
from storage.db import Database, parse_database_url
from wiring import configure_logging, prepare, warm_up_dates

log = logging.getLogger("coaching")

MAX_WORKERS = 64
SQLITE_ONE_PROCESS = (
    "serve --workers: several server processes need PostgreSQL (DATABASE_URL=postgresql+asyncpg://...). "
    "SQLite writes one transaction at a time, queued within one process: run `serve` without --workers."
)


async def chat(settings: Settings, catalog: ProgramCatalog, email: str) -> None:
    db, engine = await prepare(settings, catalog)
    warming = warm_up_dates()
    try:
        await ConsoleChat(engine, email, dialog_idle_days=settings.dialog_idle_days).run()
    finally:
        warming.cancel()  # leaving in the first second does not wait for it
        await db.dispose()


async def demo(settings: Settings, catalog: ProgramCatalog) -> None:
    db, engine = await prepare(settings, catalog, seed=False)
    created = await seed_demo(db, catalog, engine.clock(), open_survey=True)
    await db.dispose()
    print("Created: " + ", ".join(created) if created else "The demo cohorts exist already; nothing changed.")
    print("Demo people (try `python app.py chat --user EMAIL`):")
    for person in DEMO_PEOPLE:
        print(f"  {person.email:28} {person.name:18} {', '.join(person.role_names)}")


async def cohorts_create(settings: Settings, catalog: ProgramCatalog, args: argparse.Namespace) -> int:
    """`cohorts create`: a new cohort with its windows from the program file, its scheduled work planned,
    and the mentors its region's graduations promised."""
    program = catalog.get(args.program) or catalog.find(args.program)
    if program is None:
        names = ", ".join(p.id for p in catalog)
        print(f"cohorts create: there is no program '{args.program}'; the programs are: {names}", file=sys.stderr)
        return 2
    try:
        starts_on = date.fromisoformat(args.starts)
    except ValueError:
        print(f"cohorts create: --starts must be a date written YYYY-MM-DD, not '{args.starts}'", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as session:
            cohort = await bot_network.create_cohort(
                session, program, starts_on, now, region_typed=args.region, name=args.name
            )
            await jobs.plan_cohort(session, cohort, program, now)
            placed = await bot_network.place_graduates(session, cohort, program, now)
    except bot_network.NetworkError as error:
        print(f"cohorts create: {error} Nothing was created.", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    print(f"Created {cohort_label(cohort, program)}, from {date_span(cohort.starts_on, cohort.ends_on)}.")
    print("Its calendar:")
    for line in calendar_lines(cohort, program, None):
        print(f"  {line.replace('`', '')}")
    if placed:
        print(f"New {program.guide_role}s from graduations: {', '.join(p.display_name for p in placed)} (told).")
    return 0


async def people_import(settings: Settings, catalog: ProgramCatalog, args: argparse.Namespace) -> int:
    """`people import`: enrol the people of a CSV file in a cohort (bot/people_cli.py)."""
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    try:
        return await people_cli.people_import(
            db,
            catalog,
            Path(args.file),
            args.cohort,
            args.program,
            yes=args.yes,
            valid_only=args.valid_only,
            now=datetime.now(UTC),
        )
    finally:
        await db.dispose()


async def db_upgrade(settings: Settings) -> None:
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    await db.dispose()
    print("The database schema is up to date.")


def _worker_count(typed: str) -> int:
    if not typed.isdigit() or not 1 <= int(typed) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_WORKERS}, not '{typed}'")
    return int(typed)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="The coaching assistant.")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the HTTP server (the default)")
    serve_parser.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help=f"server processes sharing the port, 1 to {MAX_WORKERS} (more than 1 needs PostgreSQL)",
    )
    chat_parser = commands.add_parser("chat", help="chat with the assistant in this terminal")
    chat_parser.add_argument("--user", required=True, metavar="EMAIL", help="who you are, by email")
    commands.add_parser("demo", help="create the demo cohorts and people")
    db_parser = commands.add_parser("db", help="database maintenance")
    db_parser.add_argument("action", choices=["upgrade"])
    programs_parser = commands.add_parser("programs", help="program files")
    programs_parser.add_argument("action", choices=["check"])
    commands.add_parser("translations", help="list the sentences with no Khmer translation yet")
    cohorts_parser = commands.add_parser("cohorts", help="cohorts of the programs")
    cohort_actions = cohorts_parser.add_subparsers(dest="action", required=True)
    create_parser = cohort_actions.add_parser("create", help="create a cohort of a program")
    create_parser.add_argument("program", metavar="PROGRAM", help="the program's id (or name)")
    create_parser.add_argument("--starts", required=True, metavar="YYYY-MM-DD", help="the cohort's first day")
    create_parser.add_argument("--region", metavar="REGION", help="the region (id or name), in programs with regions")
    create_parser.add_argument(
        "--name", metavar="NAME", help='the name (default: the years and region, "2027-28 West")'
    )
    people_parser = commands.add_parser("people", help="people in cohorts")
    people_actions = people_parser.add_subparsers(dest="action", required=True)
    import_parser = people_actions.add_parser("import", help="enrol people from a CSV file, after a preview")
    import_parser.add_argument("file", metavar="FILE.csv", help="columns: email, role, name, time zone, ...")
    import_parser.add_argument("--cohort", required=True, metavar="COHORT", help="the cohort's id or name")
    import_parser.add_argument("--program", metavar="PROGRAM", help="the program, when names are shared")
    import_parser.add_argument("--yes", action="store_true", help="write (without it: the preview only)")
    import_parser.add_argument("--valid-only", action="store_true", help="import the valid rows, skip refused ones")
    return parser.parse_args(argv)


def translations_report() -> int:
    """Sentences a Khmer reader would see in English (untranslated) or with the wrong places; 1 if any."""
    from bot.translation_check import report  # Babel's extractor: only this command needs it

    count, problems = report("km")
    for problem in problems:
        print(problem)
    print(f"{count} sentences, {len(problems)} without a fitting Khmer translation")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    # The terminal chat shares the screen with the log: only problems, unless LOG_LEVEL says otherwise.
    # So does a command that prints (the cohort's calendar, without migration lines in between).
    quiet = args.command in ("chat", "cohorts", "people") and not settings.log_level_set
    level = "WARNING" if quiet else settings.log_level
    configure_logging(level, settings.log_format)
    workers = getattr(args, "workers", 1)  # `python app.py` alone serves with one process
    if workers > 1 and parse_database_url(settings.database_url).get_backend_name() == "sqlite":
        print(SQLITE_ONE_PROCESS, file=sys.stderr)
        return 2
    if args.command == "db":
        asyncio.run(db_upgrade(settings))
        return 0
    if args.command == "translations":
        return translations_report()
    try:
        catalog = load_programs(settings.programs_dir)
    except ProgramError as error:
        print("program files have problems:", *error.problems, sep="\n  ", file=sys.stderr)
        return 2
    if args.command == "programs":
        print(f"{len(catalog)} program files are valid: " + ", ".join(p.id for p in catalog))
        return 0
    if args.command == "cohorts":
        return asyncio.run(cohorts_create(settings, catalog, args))
    if args.command == "people":
        return asyncio.run(people_import(settings, catalog, args))
    if args.command == "demo":
        asyncio.run(demo(settings, catalog))
    elif args.command == "chat":
        asyncio.run(chat(settings, catalog, args.user))
    else:
        # Imported here: the server's libraries (botbuilder, slack_bolt) would slow the terminal chat's start.
        import server

        if workers > 1:
            return server.serve_workers(settings, catalog, workers)
        asyncio.run(server.serve(settings, catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
