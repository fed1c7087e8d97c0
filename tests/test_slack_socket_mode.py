"""Slack over Socket Mode: bolt's AsyncSocketModeHandler, as app.py starts it when SLACK_APP_TOKEN is set."""

import asyncio

from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode
from tests.server import running_server


async def test_a_slash_command_over_socket_mode_is_acknowledged_with_the_answer(sqlite_url):
    api, socket = FakeSlackApi(), FakeSocketMode()
    await api.start()
    await socket.start()
    api.add_user("UPAT", "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    for _ in range(3):  # the first connection, and any reconnection while the test ends
        api.fail_next("apps.connections.open", 200, {"ok": True, "url": socket.url})
    socket.envelopes.append(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "team_id": TEAM_ID,
                "channel_id": "D0PAT",
                "user_id": "UPAT",
                "command": "/coaching",
                "text": "help",
                "response_url": api.response_url,
                "trigger_id": "1.2.3",
                "api_app_id": "A0TEST",
            },
        }
    )
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.base_url,
        "SLACK_APP_TOKEN": "xapp-test",
    }
    try:
        async with running_server(sqlite_url, env) as server:
            await asyncio.wait_for(socket.acked.wait(), timeout=30)
            async with server.http.post(server.url + "/slack/events", data=b"{}") as response:
                assert response.status == 404  # Socket Mode: no public Slack endpoint
    finally:
        await socket.stop()
        await api.stop()
    [ack] = socket.acks
    assert ack["envelope_id"] == "env-1"
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "participant in AAHSL coaching pilot" in ack["payload"]["text"]
    assert len(api.calls_to("apps.connections.open")) >= 1  # the app token opened the socket
