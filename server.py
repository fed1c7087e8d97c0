"""The HTTP server: Slack, Teams, /healthz, calendar and export links, and the background work (outbox
worker, scheduler), in one process or, on PostgreSQL, in several on one port (`serve --workers N`).

Several processes share the port with SO_REUSEPORT: each binds it, and the kernel hands each new
connection to one of them. The background work runs in the first process only. Its rows would be safe with
more (the scheduler and the outbox claim rows with FOR UPDATE SKIP LOCKED, under a lease), but each outbox
worker keeps each platform's pace (messages a second) by itself: several would send that many times as
fast. The parent process runs the migrations and the demo seed once, starts the workers, starts again one
that ends, and stops them all on SIGTERM or SIGINT.
"""

import asyncio
import json
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

import aiohttp
from aiohttp import web

from adapters.slack.app import ImageUploads, SlackSender, build_bolt_app
from adapters.slack.app import add_routes as add_slack_routes
from adapters.slack.files import SlackFiles
from adapters.slack.home import HomeTab
from adapters.slack.oauth import add_routes as add_slack_install_routes
from adapters.slack.oauth import slack_tokens
from adapters.slack.workspaces import SlackClients
from adapters.teams import files as teams_files
from adapters.teams.app import TeamsSender
from adapters.teams.app import add_routes as add_teams_routes
from bot import jobs, metrics, surveys
from bot.booking import calendar_file
from bot.config import Settings, SlackSettings, load_settings
from bot.engine import Engine
from bot.messages import Reply
from bot.outbox import OutboxWorker, Sender
from bot.privacy import export
from bot.privacy.summary import readable_file
from bot.programs import ProgramCatalog, load_programs
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import Account
from wiring import configure_logging, keep_message_text_out_of_logs, open_engine, prepare, warm_up_dates

log = logging.getLogger("coaching")

DB = web.AppKey("db", Database)
TEAMS_SENDER = web.AppKey("teams_sender", TeamsSender)
SLACK_SENDER = web.AppKey("slack_sender", SlackSender)
SLACK_RELAY_SENDER = web.AppKey("slack_relay_sender", SlackSender)
SLACK_HOME = web.AppKey("slack_home", HomeTab)
BACKGROUND_POLL_SECONDS = 0.5  # how often the outbox and the scheduler look for due work when idle
OUTBOX_LANES = 4  # senders per platform at least (more at a fast pace); each platform keeps its own rate
PROCESS_HEADER = "X-Coaching-Process"  # /healthz: the id of the process that answered
WORKER_STOP_SECONDS = 30.0  # a worker finishing its requests after SIGTERM, before it is killed
QUICK_EXIT_SECONDS = 10.0  # a worker ending this soon after its start is not started again: all stop
SUPERVISE_SECONDS = 1.0  # how often the parent looks at its workers and at a stop signal


async def healthz(request: web.Request) -> web.Response:
    """200 with the database reachable, else 503; the header names the process that answered (one of
    several with `serve --workers N`)."""
    headers = {PROCESS_HEADER: str(os.getpid())}
    if await request.app[DB].ping():
        return web.json_response({"status": "ok"}, headers=headers)
    return web.json_response({"status": "database unreachable"}, status=503, headers=headers)


def metrics_page(engine: Engine) -> Any:
    """GET /metrics: this process's figures in Prometheus' text format; the outbox's depth read now."""

    async def handle(request: web.Request) -> web.Response:
        try:
            await metrics.read_outbox_depth(request.app[DB], engine.clock())
        except Exception as exc:  # the counters are still worth a scrape without the database
            log.warning("metrics: outbox depth unreadable error=%s", type(exc).__name__)
            metrics.forget_outbox_depth()
        headers = {"Content-Type": metrics.CONTENT_TYPE, PROCESS_HEADER: str(os.getpid())}
        return web.Response(body=metrics.page(), headers=headers)

    return handle


ACK_PATHS = {"/slack/events": "slack", "/api/messages": "teams"}  # a platform's requests, to time their answer


@web.middleware
async def time_acknowledgements(request: web.Request, handler: Any) -> web.StreamResponse:
    platform = ACK_PATHS.get(request.path)
    if platform is None:
        return await handler(request)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        metrics.acknowledged(platform, time.perf_counter() - started)


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


def personal_data_export(engine: Engine) -> Any:
    """GET /my-data/{token}.json or .txt: everything held about the person who typed `my data`, read now."""

    async def handle(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        data = None
        if kind in ("json", "txt"):
            async with request.app[DB].reading() as session:
                data = await export.linked_data(session, request.match_info["token"], engine.programs, engine.clock())
        if data is None:
            raise web.HTTPNotFound(text="This link is unknown or has expired. Type `my data` for a new one.")
        day = engine.clock().strftime("%Y-%m-%d")
        if kind == "json":
            body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
            return download(f"my-data-{day}.json", body, "application/json")
        return download(f"my-data-{day}.txt", readable_file(data).encode("utf-8"), "text/plain")

    return handle


async def build_web_app(
    settings: Settings, db: Database, engine: Engine, *, background: bool = True
) -> web.Application:
    """One aiohttp application: /healthz, /api/messages (Teams), /slack/events (Slack over HTTP), and (with
    `background`) the outbox worker that delivers what the assistant sends on its own and the scheduler."""
    web_app = web.Application(middlewares=[time_acknowledgements])
    web_app[DB] = db
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_page(engine))
    web_app.router.add_get("/calendar/{token}.ics", calendar(engine))
    web_app.router.add_get("/exports/{token}.csv", survey_export(engine))
    web_app.router.add_get("/my-data/{token}.{kind}", personal_data_export(engine))
    web_app[TEAMS_SENDER] = add_teams_routes(web_app, settings.teams, engine)
    engine.fetchers["teams"] = teams_files.fetch
    if settings.slack is not None:
        _add_slack(web_app, settings.slack, engine)
    # Relayed messages go straight out, never via the outbox; a person waits for them, so on Slack a rate
    # limit or a dropped connection is waited out and tried again (slack_sdk's retry handlers) within the
    # engine's time limit, while the outbox's own client never sleeps on a 429.
    engine.senders = _senders(web_app, relay=True)
    # The engine's clock, read at each use: the tests move it forward to make retries due.
    if background:
        worker = OutboxWorker(
            db,
            _senders(web_app),
            lambda: engine.clock(),
            rates=settings.outbox_rates,
            lease=settings.outbox_lease,
            lanes=OUTBOX_LANES,
        )
        scheduler = Scheduler(
            db, engine.programs, jobs.ALL, lambda: engine.clock(), dialog_idle_days=settings.dialog_idle_days
        )
        _add_background(web_app, worker.run, scheduler.run)
    return web_app


class SlackDelivery:
    """The outbox's way to Slack: the person's DM, found by their Slack user id."""

    def __init__(self, slack: SlackSender, home: HomeTab | None = None) -> None:
        self.slack, self.home = slack, home

    async def send(self, account: Account, replies: list[Reply], key: str | None) -> None:
        await self.slack.send(account.external_id, replies, key)
        if self.home is not None and account.home_opened_at is not None:  # what they were told may be on it
            self.home.soon(account.external_id)

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


def _senders(web_app: web.Application, *, relay: bool = False) -> dict[str, Sender]:
    senders: dict[str, Sender] = {"teams": TeamsDelivery(web_app[TEAMS_SENDER])}
    if SLACK_SENDER in web_app:
        home = None if relay else web_app[SLACK_HOME]  # a relayed message changes nothing on the home
        senders["slack"] = SlackDelivery(web_app[SLACK_RELAY_SENDER if relay else SLACK_SENDER], home)
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
    uploads = ImageUploads()  # work after Slack has its answer: slow turns' answers, report charts
    web_app[SLACK_HOME] = HomeTab(engine, uploads)  # the App Home, published again after the outbox's messages
    tokens, bolt_options = slack_tokens(slack, engine.db)  # SLACK_BOT_TOKEN, or each workspace's own
    clients = SlackClients(tokens, slack.api_url or SlackClients.SLACK_API, http)
    bolt = build_bolt_app(
        slack, engine, http, uploads=uploads, home_tab=web_app[SLACK_HOME], clients=clients, bolt_options=bolt_options
    )
    web_app[SLACK_SENDER] = SlackSender(clients)
    web_app[SLACK_RELAY_SENDER] = SlackSender(clients, waits=True)
    engine.fetchers["slack"] = SlackFiles(http, tokens).fetch  # a coordinator's CSV of people
    add_slack_install_routes(web_app, bolt)  # with Add to Slack: GET /slack/install, /slack/oauth_redirect
    if slack.app_token:
        # Imported only for Socket Mode: it costs every other start about 0.1 s.
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

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
    """The server in this process (`serve`, `serve --workers 1`)."""
    db, engine = await prepare(settings, catalog)
    await _serve_until_stopped(settings, db, engine, reuse_port=False, background=True)


async def _serve_until_stopped(
    settings: Settings, db: Database, engine: Engine, *, reuse_port: bool, background: bool
) -> None:
    web_app = await build_web_app(settings, db, engine, background=background)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, port=settings.port, reuse_port=reuse_port or None).start()
    warming = warm_up_dates()
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
    log.info("serving on port %d (Teams: /api/messages, health: /healthz)", settings.port)
    try:
        await stop.wait()
        log.info("stopping: finishing requests in progress")
    finally:
        warming.cancel()
        await runner.cleanup()
        await db.dispose()


def serve_workers(settings: Settings, catalog: ProgramCatalog, count: int) -> int:
    """`serve --workers N`: N processes on one port, on PostgreSQL; returns the exit status."""
    asyncio.run(_prepare_once(settings, catalog))
    stopping = False

    def stop(_signal: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, stop)
    workers = {index: _start_worker(index) for index in range(count)}
    started = dict.fromkeys(workers, time.monotonic())
    log.info("starting %d server processes on port %d (background work in the first)", count, settings.port)
    status = 0
    while not stopping:
        ended = wait([worker.sentinel for worker in workers.values()], timeout=SUPERVISE_SECONDS)
        for index, worker in list(workers.items()):
            if worker.sentinel not in ended or stopping:
                continue
            if time.monotonic() - started[index] < QUICK_EXIT_SECONDS:  # it cannot start: no loop of restarts
                log.error("worker %d ended at start (exit %s): stopping them all", index, worker.exitcode)
                stopping, status = True, 1
                break
            log.error("worker %d ended (exit %s): starting it again", index, worker.exitcode)
            workers[index], started[index] = _start_worker(index), time.monotonic()
    _stop_workers(list(workers.values()))
    log.info("stopped")
    return status


async def _prepare_once(settings: Settings, catalog: ProgramCatalog) -> None:
    """Migrations, calendars, the demo seed and the jobs' plan: once, before the workers start."""
    db, _engine = await prepare(settings, catalog)
    await db.dispose()


def _start_worker(index: int) -> BaseProcess:
    """A fresh interpreter (spawn: nothing of this process's event loop or connections is inherited)."""
    worker = multiprocessing.get_context("spawn").Process(target=_worker_main, args=(index,), name=f"worker-{index}")
    worker.start()
    return worker


def _stop_workers(workers: list[BaseProcess]) -> None:
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: it finishes the requests under way, like a single server
    deadline = time.monotonic() + WORKER_STOP_SECONDS
    for worker in workers:
        worker.join(max(deadline - time.monotonic(), 0.0))
        if worker.is_alive():
            log.warning("worker %s did not stop in %.0f s: killing it", worker.name, WORKER_STOP_SECONDS)
            worker.kill()
            worker.join()


def _worker_main(index: int) -> None:
    """One worker process: the settings and program files read again (the parent checked them)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, worker=f"worker-{index}")
    # Ctrl-C reaches the whole process group: until the server sets its own handlers, the parent's SIGTERM
    # is what stops this process, not a KeyboardInterrupt half-way through the start.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_worker(settings, load_programs(settings.programs_dir), background=index == 0))


async def _worker(settings: Settings, catalog: ProgramCatalog, *, background: bool) -> None:
    keep_message_text_out_of_logs()
    db = Database(settings.database_url)
    engine = open_engine(db, settings, catalog)
    await _serve_until_stopped(settings, db, engine, reuse_port=True, background=background)
