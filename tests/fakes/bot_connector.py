"""A fake Bot Framework Connector (the serviceUrl Teams gives) on 127.0.0.1 that records replies."""

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import serve_on_loopback


@dataclass
class Sent:
    conversation_id: str
    activity: dict[str, Any]
    reply_to: str | None

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None

    @property
    def images(self) -> list[tuple[str | None, bytes]]:
        """The inline images sent (name, bytes), decoded from their base64 data URIs."""
        found = []
        for attachment in self.activity.get("attachments") or []:
            url = str(attachment.get("contentUrl") or "")
            if str(attachment.get("contentType", "")).startswith("image/") and url.startswith("data:"):
                header, _, data = url.partition(",")
                assert header.endswith(";base64"), header
                found.append((attachment.get("name"), base64.b64decode(data, validate=True)))
        return found


@dataclass
class FakeBotConnector:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    updated: list[Sent] = field(default_factory=list)  # activities replaced (PUT): reply_to holds the id replaced
    member_lookups: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, decoded path) of every call
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next sends fail with these
    service_url: str = ""
    _runner: web.AppRunner | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Files uploaded in a personal chat, served at their pre-authorised downloadUrl (name -> bytes).
    downloads: dict[str, bytes] = field(default_factory=dict)

    def add_member(self, user_id: str, email: str | None, name: str, *, upn: str | None = None) -> None:
        """A member the look-up knows; `email=None` with a `upn` is a guest whose email Teams withholds."""
        self.members[user_id] = {
            "id": user_id,
            "name": name,
            "email": email,
            "userPrincipalName": upn or email,
            "aadObjectId": f"aad-{user_id}",
        }

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/download/{name}", self._download)  # stands in for OneDrive's downloadUrl
        self._runner, port = await serve_on_loopback(app)
        self.service_url = f"http://127.0.0.1:{port}/"
        return self.service_url

    def share_file(self, name: str, data: bytes) -> str:
        """A file a person uploaded in their chat with the bot: its downloadUrl."""
        self.downloads[name] = data
        return f"{self.service_url}download/{name}"

    async def _download(self, request: web.Request) -> web.Response:
        data = self.downloads.get(request.match_info["name"])
        return web.Response(body=data, content_type="text/csv") if data is not None else web.Response(status=404)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        return await handler(request)

    async def _send(self, request: web.Request) -> web.Response:
        if self.failures:
            status, headers = self.failures.pop(0)
            return web.json_response({"error": {"code": "Throttled"}}, status=status, headers=headers)
        activity = await request.json()
        self.sent.append(Sent(request.match_info["conversation"], activity, request.match_info.get("reply_to")))
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    async def _update(self, request: web.Request) -> web.Response:
        activity_id = request.match_info["activity"]
        self.updated.append(Sent(request.match_info["conversation"], await request.json(), activity_id))
        return web.json_response({"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        member_id = request.match_info["member"]
        self.member_lookups.append(member_id)
        member = self.members.get(member_id)
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        return web.json_response({"id": f"a:created-{next(self._ids)}"})


def message_activity(
    service_url: str,
    user_id: str,
    *,
    text: str = "",
    value: dict[str, Any] | None = None,
    conversation_id: str = "a:personal-chat",
    channel_id: str = "msteams",
    user_name: str = "",
    local_timezone: str | None = None,
    activity_id: str = "incoming-1",
    locale: str | None = None,
) -> dict[str, Any]:
    """A Teams message activity as the Bot Framework service posts it to /api/messages."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": channel_id,
        "from": {"id": user_id, "name": user_name, "aadObjectId": f"aad-{user_id}"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": "tenant-1"},
        "recipient": {"id": "28:bot", "name": "Coaching assistant"},
        "text": text,
        "channelData": {"tenant": {"id": "tenant-1"}},
        "entities": [],
    }
    if value is not None:
        activity["value"] = value
    if locale:
        activity["locale"] = locale  # the language of the person's Teams client, as Teams sends it
    if local_timezone:
        activity["localTimezone"] = local_timezone
        activity["entities"].append({"type": "clientInfo", "locale": locale or "en-US", "timezone": local_timezone})
    return activity
