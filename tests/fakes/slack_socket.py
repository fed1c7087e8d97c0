"""A fake Slack Socket Mode endpoint on 127.0.0.1: says hello, sends envelopes, records the acks."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class FakeSocketMode:
    envelopes: list[dict[str, Any]] = field(default_factory=list)  # sent after "hello", in order
    acks: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/link"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}})
        for envelope in self.envelopes:
            await socket.send_json(envelope)
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                break
            self.acks.append(json.loads(message.data))
            if len(self.acks) >= len(self.envelopes):
                self.acked.set()
        return socket
