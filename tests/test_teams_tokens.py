"""With MICROSOFT_APP_ID set, every request to /api/messages must carry a bearer token the Bot Framework
signed for this bot: anything else is 401, never a 500, and no traceback in the log.

botbuilder checks the token against Microsoft's OpenID metadata and signing keys; here a fake token
service on 127.0.0.1 (tests/fakes/bot_token_service.py) stands in for Microsoft's, and botbuilder is pointed
at it through its own class attributes (ChannelValidation.open_id_metadata_endpoint, and the metadata URL
of the Emulator's and skills' tokens), as its tests do. The adapter, botbuilder and PyJWT are the real ones.
"""

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.fakes import free_port
from tests.fakes.bot_token_service import KEY_ID, FakeBotTokenService, claims, new_key, point_botbuilder_at
from tests.server import RunningServer, running_server
from tests.test_teams import accounts, load_payload
from tests.test_teams_hostile import assert_quiet, post_raw

APP_ID = "0e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
APP_ENV = {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "not-a-secret"}
# Nothing listens there: a turn that tried to answer would fail loudly, and these turns need no answer.
SERVICE_URL = f"https://127.0.0.1:{free_port()}/amer/"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


@pytest.fixture
async def server(sqlite_url: str, token_service: FakeBotTokenService) -> AsyncIterator[RunningServer]:
    """SQLite only: a refused token never reaches the database, and an accepted one here changes nothing."""
    async with running_server(sqlite_url, APP_ENV) as running:
        yield running


def team_join(service_url: str = SERVICE_URL) -> dict[str, Any]:
    """Someone joined a team: a real turn that answers nothing, so no call leaves for the Bot Connector."""
    joined = load_payload("members_added")
    joined.update(
        serviceUrl=service_url,
        conversation={"isGroup": True, "conversationType": "channel", "id": "19:team@thread.tacv2"},
        membersAdded=[{"id": joined["from"]["id"]}],
    )
    return joined


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWT with "alg": "none" and no signature, which PyJWT will not make on its own."""
    return f"{b64(json.dumps({'typ': 'JWT', **header}).encode())}.{b64(json.dumps(payload).encode())}."


def signed_with_public_key(service: FakeBotTokenService) -> str:
    """The classic confusion: HS256 with the RSA public key, which anyone has, as the shared secret (by
    hand: PyJWT refuses to sign so)."""
    public_key = service.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signed = unsigned(claims(APP_ID, SERVICE_URL), {"alg": "HS256", "kid": KEY_ID}).rstrip(".")
    return f"{signed}.{b64(hmac.new(public_key, signed.encode(), hashlib.sha256).digest())}"


FORGED = {
    "no-header": lambda service: None,
    "basic": lambda service: "Basic dXNlcjpwYXNzd29yZA==",
    "bearer-lowercase": lambda service: "bearer " + service.token(APP_ID, SERVICE_URL),
    "bearer-empty": lambda service: "Bearer ",
    "garbage": lambda service: "Bearer not-a-token",
    "three-dots": lambda service: "Bearer a.b.c",
    "three-parts": lambda service: "Bearer x y",
    "unsigned-no-kid": lambda service: "Bearer " + unsigned(claims(APP_ID, SERVICE_URL), {"alg": "none"}),
    "unsigned-with-kid": lambda service: (
        "Bearer " + unsigned(claims(APP_ID, SERVICE_URL), {"alg": "none", "kid": KEY_ID})
    ),
    "no-issuer": lambda service: "Bearer " + unsigned({"aud": APP_ID}, {"alg": "none"}),
    "expired": lambda service: "Bearer " + service.token(APP_ID, SERVICE_URL, expires_in=-3600),
    "wrong-key": lambda service: "Bearer " + service.token(APP_ID, SERVICE_URL, key=new_key()),
    "unknown-kid": lambda service: "Bearer " + service.token(APP_ID, SERVICE_URL, headers={"kid": "other"}),
    "hs256-with-public-key": lambda service: "Bearer " + signed_with_public_key(service),
    "other-bot": lambda service: "Bearer " + service.token("another-bot", SERVICE_URL),
    "other-issuer": lambda service: "Bearer " + service.token(APP_ID, SERVICE_URL, iss="https://evil.example"),
    "other-service-url": lambda service: "Bearer " + service.token(APP_ID, "https://evil.example/"),
    "emulator-wrong-key": lambda service: (
        "Bearer " + service.token(APP_ID, SERVICE_URL, key=new_key(), iss=EMULATOR_ISSUER, appid=APP_ID, ver="1.0")
    ),
    "skill-token": lambda service: (
        "Bearer " + service.token(APP_ID, SERVICE_URL, iss=EMULATOR_ISSUER, appid="some-other-bot", ver="1.0")
    ),
    "huge": lambda service: "Bearer " + "A" * 6000,
}


@pytest.mark.parametrize("case", FORGED)
async def test_a_request_without_a_valid_token_is_401(server, token_service, caplog: pytest.LogCaptureFixture, case):
    authorization = FORGED[case](token_service)
    headers = {"Authorization": authorization} if authorization is not None else {}
    with caplog.at_level(logging.INFO):
        status, _ = await post_raw(server, json.dumps(team_join()).encode(), headers=headers)
    assert status == 401
    assert_quiet(caplog)
    logged = [(r.levelno, r.getMessage().split(" error=")[0]) for r in caplog.records if r.name.startswith("adapters")]
    assert set(logged) <= {(logging.INFO, "teams token refused")}  # not "keys unreachable": Microsoft is fine
    assert await accounts(server) == []


async def test_the_bot_frameworks_own_token_is_taken(server, token_service, caplog: pytest.LogCaptureFixture):
    """The control for the cases above: the same request with a good token gets through to the bot."""
    headers = {"Authorization": "Bearer " + token_service.token(APP_ID, SERVICE_URL)}
    with caplog.at_level(logging.INFO):
        status, _ = await post_raw(server, json.dumps(team_join()).encode(), headers=headers)
    assert status == 201
    assert_quiet(caplog)


async def test_with_an_app_id_http_is_refused_even_on_this_machine(server, token_service):
    loopback = "http://127.0.0.1:3979/"
    headers = {"Authorization": "Bearer " + token_service.token(APP_ID, loopback)}
    status, text = await post_raw(server, json.dumps(team_join(loopback)).encode(), headers=headers)
    assert (status, text) == (400, "serviceUrl is not an https URL (http only for the Emulator on this machine)")


async def test_signing_keys_that_cannot_be_fetched_refuse_the_request_with_a_warning(
    sqlite_url, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    service = FakeBotTokenService()  # never started: its metadata URL has nothing behind it
    point_botbuilder_at(
        monkeypatch, f"http://127.0.0.1:{free_port()}{service.prefix}/v1/.well-known/openidconfiguration"
    )
    async with running_server(sqlite_url, APP_ENV) as running:
        headers = {"Authorization": "Bearer " + service.token(APP_ID, SERVICE_URL)}
        with caplog.at_level(logging.INFO):
            status, _ = await post_raw(running, json.dumps(team_join()).encode(), headers=headers)
    assert status == 401
    assert [r.getMessage() for r in caplog.records if r.name.startswith("adapters.teams")] == [
        "teams token keys unreachable error=ConnectionError"
    ]
    assert_quiet(caplog)
