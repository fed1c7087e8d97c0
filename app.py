"""The coaching assistant: wires adapters and dialogs to the engine, and the command line.

python app.py [serve]              the HTTP server (Slack, Teams, /healthz) on PORT
python app.py chat --user EMAIL    the assistant in this terminal
python app.py demo                 create the demo cohorts and people
python app.py db upgrade           apply database migrations
python app.py programs check       validate the program files
python app.py cohorts create PROGRAM --starts YYYY-MM-DD [--region REGION] [--name NAME]
                                   create a cohort (in a program with regions, one per region)
python app.py people import FILE.csv --cohort COHORT [--program PROGRAM] [--yes] [--valid-only]
                                   enrol people who do not apply, after a preview
"""

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import func, select

from adapters.console import ConsoleChat
from adapters.slack.app import ImageUploads, SlackSender, build_bolt_app
from adapters.slack.app import add_routes as add_slack_routes
from adapters.slack.files import SlackFiles
from adapters.teams import files as teams_files
from adapters.teams.app import TeamsSender
from adapters.teams.app import add_routes as add_teams_routes
from bot import jobs, people_cli, surveys, when
from bot import network as bot_network
from bot.booking import calendar_file
from bot.cohorts import calendar_lines, upgrade_calendars
from bot.config import ConfigError, Settings, SlackSettings, load_settings
from bot.demo import DEMO_PEOPLE, seed_demo
from bot.dialog import Registry
from bot.engine import Engine
from bot.messages import Reply
from bot.outbox import OutboxWorker, Sender
from bot.programs import ProgramCatalog, ProgramError, load_programs
from bot.scheduler import Scheduler
from bot.timezones import date_span
from dialogs import (
    announce,
    apply,
    assessment,
    availability,
    book,
    cancel,
    checkin,
    cohort,
    cohort_calendar,
    confirm,
    enrol,
    event,
    group,
    help,
    hours,
    match,
    materials,
    me,
    network,
    pair,
    pair_quiet,
    partner,
    pause,
    profile,
    programs,
    relay,
    report,
    resources,
    review,
    sessions,
    status,
    survey,
    timezone,
)
from storage import migrate
from storage.db import Database
from storage.models import Account, Cohort

log = logging.getLogger("coaching")

DB = web.AppKey("db", Database)
TEAMS_SENDER = web.AppKey("teams_sender", TeamsSender)
SLACK_SENDER = web.AppKey("slack_sender", SlackSender)
BACKGROUND_POLL_SECONDS = 0.5  # how often the outbox and the scheduler look for due work when idle
OUTBOX_LANES = 4  # messages in flight at once; the per-platform rate still bounds the pace


def build_registry() -> Registry:
    """Every conversation the assistant knows: one line per module in dialogs/."""
    registry = Registry()
    help.register(registry)
    cancel.register(registry)
    me.register(registry)
    timezone.register(registry)
    programs.register(registry)
    cohort.register(registry)
    cohort_calendar.register(registry)
    apply.register(registry)
    status.register(registry)
    review.register(registry)
    enrol.register(registry)
    confirm.register(registry)
    match.register(registry)
    partner.register(registry)
    materials.register(registry)
    profile.register(registry)
    pair.register(registry)
    pair_quiet.register(registry)
    pause.register(registry)
    assessment.register(registry)
    book.register(registry)
    sessions.register(registry)
    availability.register(registry)
    announce.register(registry)
    group.register(registry)
    event.register(registry)
    checkin.register(registry)
    hours.register(registry)
    relay.register(registry)
    network.register(registry)
    survey.register(registry)
    report.register(registry)
    resources.register(registry)
    return registry


# Libraries that log whole requests at DEBUG (slack_sdk logs each call's body, msrest each Bot Connector
# request): a relayed message would end up in the log. They log at INFO at most, whatever LOG_LEVEL says.
LIBRARIES_LOGGING_BODIES = ("slack_sdk", "slack_bolt", "msrest", "botbuilder", "botframework", "aiohttp.client")


def keep_message_text_out_of_logs() -> None:
    for name in LIBRARIES_LOGGING_BODIES:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))


async def prepare(settings: Settings, catalog: ProgramCatalog, *, seed: bool = True) -> tuple[Database, Engine]:
    """Open the database, bring its schema up to date, and seed the demo on a first start."""
    keep_message_text_out_of_logs()
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    async with db.transaction() as session:
        await upgrade_calendars(session, catalog)
    engine = Engine(db, build_registry(), catalog, public_url=settings.public_url)
    await asyncio.to_thread(when.warm_up)  # dateparser's first parse costs about 0.25 s: not in a person's turn
    if seed and await _has_no_cohorts(db):
        created = await seed_demo(db, catalog, engine.clock(), open_survey=True)
        log.info("first start: created %d demo cohorts (the README lists the demo people)", len(created))
    await jobs.plan_all(db, catalog, engine.clock())
    return db, engine


async def _has_no_cohorts(db: Database) -> bool:
    async with db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Cohort))).scalar_one() == 0


async def healthz(request: web.Request) -> web.Response:
    if await request.app[DB].ping():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unreachable"}, status=503)


def calendar(engine: Engine) -> Any:
    """GET /calendar/{token}.ics: a session's or an event's invitation, always its latest version (moved
    or cancelled)."""

    async def handle(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with request.app[DB].transaction() as session:
            found = await calendar_file(session, token, datetime.now(UTC), engine.programs)
        if found is None:
            raise web.HTTPNotFound(text="No such calendar invitation.")
        name, body = found
        return download(name, body, "text/calendar")

    return handle


def download(name: str, body: bytes, content_type: str) -> web.Response:
    """A file the browser saves under `name`, kept by no cache (its link may be the only key to it)."""
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


def survey_export(engine: Engine) -> Any:
    """GET /exports/{token}.csv: a survey's anonymous answers, for the coordinator who asked for the link."""

    async def handle(request: web.Request) -> web.Response:
        async with request.app[DB].transaction() as session:
            found = await surveys.export_file(session, request.match_info["token"], engine.programs, engine.clock())
        if found is None:
            raise web.HTTPNotFound(text="This link is unknown or has expired. Ask for a new one with `report survey`.")
        name, text = found
        return download(name, text.encode("utf-8"), "text/csv")

    return handle


async def build_web_app(settings: Settings, db: Database, engine: Engine) -> web.Application:
    """One aiohttp application: /healthz, /api/messages (Teams), /slack/events (Slack over HTTP), and the
    outbox worker that delivers what the assistant sends on its own."""
    web_app = web.Application()
    web_app[DB] = db
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/calendar/{token}.ics", calendar(engine))
    web_app.router.add_get("/exports/{token}.csv", survey_export(engine))
    web_app[TEAMS_SENDER] = add_teams_routes(web_app, settings.teams, engine)
    engine.fetchers["teams"] = teams_files.fetch
    if settings.slack is not None:
        _add_slack(web_app, settings.slack, engine)
    engine.senders = _senders(web_app)  # relayed messages go straight out this way, never via the outbox
    # The engine's clock, read at each use: the tests move it forward to make retries due.
    worker = OutboxWorker(
        db,
        engine.senders,
        lambda: engine.clock(),
        rates=settings.outbox_rates,
        lease=settings.outbox_lease,
        lanes=OUTBOX_LANES,
    )
    scheduler = Scheduler(db, engine.programs, jobs.ALL, lambda: engine.clock())
    _add_background(web_app, worker.run, scheduler.run)
    return web_app


class SlackDelivery:
    """The outbox's way to Slack: the person's DM, found by their Slack user id."""

    def __init__(self, slack: SlackSender) -> None:
        self.slack = slack

    async def send(self, account: Account, replies: list[Reply], key: str | None) -> None:
        await self.slack.send(account.external_id, replies, key)

    async def delivered(self, account: Account, key: str, since: datetime) -> bool | None:
        return await self.slack.delivered(account.external_id, key, since)

    async def find_by_email(self, email: str) -> tuple[str, str | None]:
        return await self.slack.find_by_email(email)


class TeamsDelivery:
    """The outbox's way to Teams: the ConversationReference stored when the person last wrote."""

    def __init__(self, teams: TeamsSender) -> None:
        self.teams = teams

    async def send(self, account: Account, replies: list[Reply], key: str | None) -> None:
        assert account.conversation_ref is not None
        await self.teams.send(account.conversation_ref, replies)

    async def delivered(self, account: Account, key: str, since: datetime) -> bool | None:
        return None  # the Bot Framework cannot list a conversation's messages: an in-doubt one is sent again


def _senders(web_app: web.Application) -> dict[str, Sender]:
    senders: dict[str, Sender] = {"teams": TeamsDelivery(web_app[TEAMS_SENDER])}
    if SLACK_SENDER in web_app:
        senders["slack"] = SlackDelivery(web_app[SLACK_SENDER])
    return senders


def _add_background(web_app: web.Application, *loops: Callable[[asyncio.Event, float], Awaitable[None]]) -> None:
    """Run the outbox worker and the scheduler beside the server; on shutdown they finish their round."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start(_: web.Application) -> None:
        tasks.extend(asyncio.create_task(loop(stop, BACKGROUND_POLL_SECONDS)) for loop in loops)

    async def finish(_: web.Application) -> None:
        stop.set()
        await asyncio.gather(*tasks)

    web_app.on_startup.append(start)
    web_app.on_cleanup.insert(0, finish)


def _add_slack(web_app: web.Application, slack: SlackSettings, engine: Engine) -> None:
    http = aiohttp.ClientSession()  # one session for every Web API call
    uploads = ImageUploads()  # report charts, uploaded after Slack has its answer
    bolt = build_bolt_app(slack, engine, http, uploads=uploads)
    web_app[SLACK_SENDER] = SlackSender(bolt.client)
    engine.fetchers["slack"] = SlackFiles(http, slack.bot_token).fetch  # a coordinator's CSV of people
    if slack.app_token:
        socket_mode = AsyncSocketModeHandler(bolt, slack.app_token)

        async def connect(_: web.Application) -> None:
            await socket_mode.connect_async()
            log.info("slack: connected over Socket Mode")

        async def disconnect(_: web.Application) -> None:
            await socket_mode.close_async()

        web_app.on_startup.append(connect)
        web_app.on_cleanup.append(disconnect)
    else:
        add_slack_routes(web_app, bolt, slack.signing_secret)
        log.info("slack: listening at /slack/events")

    async def close_http(_: web.Application) -> None:
        await uploads.drain()  # charts under way finish before the connection pool closes
        await http.close()

    web_app.on_cleanup.append(close_http)


async def serve(settings: Settings, catalog: ProgramCatalog) -> None:
    db, engine = await prepare(settings, catalog)
    web_app = await build_web_app(settings, db, engine)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, port=settings.port).start()
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
    log.info("serving on port %d (Teams: /api/messages, health: /healthz)", settings.port)
    try:
        await stop.wait()
        log.info("stopping: finishing requests in progress")
    finally:
        await runner.cleanup()
        await db.dispose()


async def chat(settings: Settings, catalog: ProgramCatalog, email: str) -> None:
    db, engine = await prepare(settings, catalog)
    try:
        await ConsoleChat(engine, email).run()
    finally:
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
    print(f"Created {program.short_name}: {cohort.name}, from {date_span(cohort.starts_on, cohort.ends_on)}.")
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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="The coaching assistant.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the HTTP server (the default)")
    chat_parser = commands.add_parser("chat", help="chat with the assistant in this terminal")
    chat_parser.add_argument("--user", required=True, metavar="EMAIL", help="who you are, by email")
    commands.add_parser("demo", help="create the demo cohorts and people")
    db_parser = commands.add_parser("db", help="database maintenance")
    db_parser.add_argument("action", choices=["upgrade"])
    programs_parser = commands.add_parser("programs", help="program files")
    programs_parser.add_argument("action", choices=["check"])
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
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "db":
        asyncio.run(db_upgrade(settings))
        return 0
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
        asyncio.run(serve(settings, catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
