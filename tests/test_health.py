"""GET /healthz: 200 with the database reachable, 503 without it."""

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from server import DB, healthz
from storage.db import Database
from tests.server import running_server


async def test_healthz_is_200_with_the_database(database_url):
    async with running_server(database_url) as server, server.http.get(server.url + "/healthz") as response:
        assert response.status == 200
        assert (await response.json()) == {"status": "ok"}


async def test_healthz_is_503_when_the_database_is_unreachable(unused_tcp_port):
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{unused_tcp_port}/nothing")
    web_app = web.Application()
    web_app[DB] = db
    web_app.router.add_get("/healthz", healthz)
    async with TestClient(TestServer(web_app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
    await db.dispose()
