"""A fake Slack Web API (and response_url receiver) on 127.0.0.1 that records every call.

File uploads work as files_upload_v2 drives them: files.getUploadURLExternal hands out an upload URL on
this fake, the bytes are POSTed there, and files.completeUploadExternal shares them into a channel; each
shared file lands in `uploads`.

It also serves Socket Mode: apps.connections.open answers with a ws:// URL on the same fake, which says
"hello", sends the envelopes queued in `socket_envelopes` (each once) and puts every ack the client sends
back in `socket_acks`.
"""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes import serve_on_loopback

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0TEST"
ALT_TEXT_LIMIT = 1000  # characters of an image's alt_txt Slack takes (more: alt_txt_too_large)


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack would send: X-Slack-Signature = v0= HMAC-SHA256 of v0:{timestamp}:{body}."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None = None  # from the Authorization header


class Upload(NamedTuple):
    """A file shared through files.completeUploadExternal: where, under which name and title, what bytes."""

    channel_id: str | None
    filename: str
    title: str
    data: bytes
    thread_ts: str | None = None


@dataclass
class FakeSlackApi:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # method -> queued (status, headers, body) answers given before the normal one (429s, 5xx); "upload"
    # and "response_url" name the upload URL and the response_url
    failures: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = field(default_factory=dict)
    # method -> an event the fake waits for before answering it: a slow Slack, released by the test
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    base_url: str = ""
    socket_envelopes: list[dict[str, Any]] = field(default_factory=list)
    socket_acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    # channel -> messages posted there, as conversations.history returns them (newest last here)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # After taking a chat.postMessage (and keeping it in history), wait this long before answering:
    # a crash test kills the server while it waits.
    answer_delay: float = 0.0
    # Slack's clock, which stamps messages (ts): tests whose server runs at a fixed time set it to match.
    clock: Callable[[], float] = time.time
    # Files shared into channels, in order; `_pending_files` holds what was announced or uploaded before that.
    uploads: list[Upload] = field(default_factory=list)
    _pending_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    _file_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Files people shared, served at their url_private only with the bot token (name -> bytes).
    shared_files: dict[str, bytes] = field(default_factory=dict)
    # "Add to Slack": each code's oauth.v2.access answer (a code is good once), the client credentials it
    # wants (Basic auth), and which workspace each bot token belongs to (auth.test, users.* answer for it).
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    client_credentials: tuple[str, str] = ("", "")
    token_teams: dict[str, str] = field(default_factory=dict)

    def add_user(
        self,
        user_id: str,
        email: str | None,
        name: str,
        tz: str = "America/New_York",
        team_id: str = TEAM_ID,
        locale: str = "en-US",
    ) -> None:
        profile = {"real_name": name, **({"email": email} if email else {})}
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.split()[0].lower(),
            "real_name": name,
            "tz": tz,
            "locale": locale,  # users.info sends it when asked with include_locale=true
            "profile": profile,
        }

    def add_installation(
        self, code: str, team_id: str, team_name: str, installer: str, *, user_token: bool = False
    ) -> str:
        """A workspace that will install the app: Slack's oauth.v2.access answer for `code` (as documented,
        with a user token when the app asked for user scopes); returns the workspace's new bot token."""
        bot_token = f"xoxb-{team_id}-{len(self.oauth_codes) + 1}-{code[-6:]}"
        authed_user: dict[str, Any] = {"id": installer}
        if user_token:
            authed_user.update(scope="search:read", access_token=f"xoxp-{team_id}-{installer}", token_type="user")
        self.oauth_codes[code] = {
            "ok": True,
            "app_id": "A0TEST",
            "authed_user": authed_user,
            "scope": "commands,chat:write,im:history,im:read,im:write,users:read,users:read.email",
            "token_type": "bot",
            "access_token": bot_token,
            "bot_user_id": f"UBOT{team_id[-3:]}",
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        self.token_teams[bot_token] = team_id
        return bot_token

    def _oauth_access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """oauth.v2.access: the app's credentials (Basic auth, as slack_sdk sends them) and a code issued once."""
        expected = base64.b64encode(":".join(self.client_credentials).encode()).decode()
        if authorization != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        answer = self.oauth_codes.pop(str(args.get("code")), None)
        return answer if answer is not None else {"ok": False, "error": "invalid_code"}

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def fail_next(self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.failures.setdefault(method, []).append((status, headers or {}, body))

    @property
    def response_url(self) -> str:
        return f"{self.base_url.removesuffix('api/')}response/1"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads users.info and the like by GET
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files-pri/{name}", self._private_file)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self.base_url

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        """The call's arguments from the query string and the body: slack_sdk puts some in the query
        (conversations.open(users=...)), as Slack accepts."""
        query = dict(request.query)
        if request.method == "GET":
            return query
        text = await request.text()
        if request.content_type == "application/json":
            return {**query, **(json.loads(text) if text else {})}
        return {**query, **dict(parse_qsl(text))}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        self.calls.append(Call(method, args, token))
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(args, request.headers.get("Authorization", "")))
        if method in self.held:
            await self.held[method].wait()
        failure = self._queued_failure(method)
        if failure is not None:
            return failure
        answer = self._answer(method, args, token)
        if method == "chat.postMessage":
            await self._hold_answer()
        return web.json_response(answer)

    def _queued_failure(self, method: str) -> web.Response | None:
        queued = self.failures.get(method)
        if not queued:
            return None
        status, headers, body = queued.pop(0)
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        team = self.token_teams.get(token or "")  # None: the one workspace of SLACK_BOT_TOKEN
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "coachbot",
                "team_id": team or TEAM_ID,
                "user_id": f"UBOT{team[-3:]}" if team else "UBOT",
                "bot_id": f"BBOT{team[-3:]}" if team else "BBOT",
            }
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            user = user if user and team in (None, user["team_id"]) else None
            if user and str(args.get("include_locale", "")).lower() not in ("true", "1"):
                user = {key: value for key, value in user.items() if key != "locale"}  # Slack's default
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            wanted = str(args.get("email", "")).lower()
            users = [
                u
                for u in self.users.values()
                if str(u["profile"].get("email", "")).lower() == wanted and team in (None, u["team_id"])
            ]
            return {"ok": True, "user": users[0]} if users else {"ok": False, "error": "users_not_found"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).lstrip("U")}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base_url.replace("http://", "ws://").removesuffix("api/") + "socket"}
        if method == "chat.postMessage":
            return self._post(args)
        if method == "conversations.history":
            return self._history(args)
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        if method == "views.open":
            return self._view_opened(args)
        return {"ok": True}

    def _view_opened(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open: a trigger_id and a view object are required; the view comes back with an id, as Slack
        answers (an expired trigger is a queued failure: `fail_next("views.open", ...)`)."""
        view = args.get("view")
        if not args.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {**view, "id": f"V{next(self._ts):010d}", "state": {"values": {}}}}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        if len(str(args.get("alt_txt") or "")) > ALT_TEXT_LIMIT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F{next(self._file_ids):08d}"
        self._pending_files[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
        upload_url = f"{self.base_url.removesuffix('api/')}upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: Slack answers the raw POST with plain text."""
        pending = self._pending_files.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"], "length": len(data)}))
        failure = self._queued_failure("upload")
        if failure is not None:
            return failure
        if pending is None:
            return web.Response(status=404, text="file not found")
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shares the uploaded files into `channel_id` (or keeps them private without one), as Slack does."""
        files = json.loads(args.get("files") or "[]")
        done = []
        for file in files:
            pending = self._pending_files.get(str(file.get("id")))
            if pending is None or pending["data"] is None or len(pending["data"]) != pending["length"]:
                return {"ok": False, "error": "file_not_found" if pending is None else "file_upload_failed"}
            done.append((file, pending))
        shared = []
        for file, pending in done:
            del self._pending_files[file["id"]]
            title = file.get("title") or pending["filename"]
            channel = args.get("channel_id")
            self.uploads.append(Upload(channel, pending["filename"], title, pending["data"], args.get("thread_ts")))
            shares = {"private": {channel: [{"ts": f"{self.clock():.0f}.{next(self._ts):06d}"}]}} if channel else {}
            shared.append({"id": file["id"], "name": pending["filename"], "title": title, "shares": shares})
        return {"ok": True, "files": shared}

    def share_file(self, name: str, data: bytes) -> str:
        """A file a person shared: its url_private, which answers only with the bot token."""
        self.shared_files[name] = data
        return f"{self.base_url.removesuffix('api/')}files-pri/{name}"

    async def _private_file(self, request: web.Request) -> web.Response:
        """Slack serves url_private to the bot token; without it, a sign-in page (200, HTML), as Slack does."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        self.calls.append(Call("files-pri", {"name": request.match_info["name"]}, token))
        data = self.shared_files.get(request.match_info["name"])
        if token != BOT_TOKEN:
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        if data is None:
            return web.Response(status=404, text="file not found")
        return web.Response(body=data, content_type="text/csv")

    async def _hold_answer(self) -> None:
        """Wait `answer_delay` seconds, or less if a test sets it back to 0 meanwhile."""
        waited = 0.0
        while waited < self.answer_delay:
            await asyncio.sleep(0.05)
            waited += 0.05

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{self.clock():.0f}.{next(self._ts):06d}"
        message = {"type": "message", "ts": ts, "text": args.get("text", "")}
        metadata = args.get("metadata")
        if isinstance(metadata, str):  # form-encoded calls send it as JSON text
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.history.setdefault(str(args.get("channel")), []).append(message)
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, from `oldest` on; metadata only with include_all_metadata, as Slack does."""
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = []
        for message in reversed(self.history.get(str(args.get("channel")), [])):
            if float(message["ts"]) >= oldest:
                shown = dict(message)
                if not with_metadata:
                    shown.pop("metadata", None)
                messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def posted_keys(self) -> list[str]:
        """The outbox keys of every message posted, in order (duplicates included)."""
        return [
            message["metadata"]["event_payload"]["key"]
            for messages in self.history.values()
            for message in messages
            if "metadata" in message
        ]

    async def _response_url(self, request: web.Request) -> web.Response:
        """A new message at the response_url ("response_url"), or the clicked one changed ("response_url.replace")."""
        args = await self._args(request)
        method = "response_url.replace" if args.get("replace_original") is True else "response_url"
        self.calls.append(Call(method, args))
        failure = self._queued_failure(method)
        return failure if failure is not None else web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}})
            while self.socket_envelopes:
                await socket.send_json(self.socket_envelopes.pop(0))
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self.socket_acks.put_nowait(json.loads(message.data))
        finally:
            self._sockets.discard(socket)
        return socket
