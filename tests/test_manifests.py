"""The app manifests match what the server serves and what the assistant understands."""

import json

from tests.conftest import ROOT
from wiring import build_registry

MANIFESTS = ROOT / "manifests"


def test_slack_manifest_points_every_url_at_slack_events_and_has_the_scopes():
    manifest = json.loads((MANIFESTS / "slack" / "manifest.json").read_text())
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/coaching"
    urls = [
        command["url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert {"commands", "chat:write", "files:read", "im:history", "im:write", "users:read", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_slack_socket_mode_manifest_has_no_public_url():
    manifest = json.loads((MANIFESTS / "slack" / "manifest-socket-mode.json").read_text())
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "https://" not in json.dumps(manifest["settings"]) + json.dumps(manifest["features"]["slash_commands"])


def test_teams_command_menu_lists_real_verbs_within_teams_limit():
    manifest = json.loads((MANIFESTS / "teams" / "manifest.json").read_text())
    verbs = set(build_registry().verbs)
    for command_list in manifest["bots"][0]["commandLists"]:
        titles = [command["title"] for command in command_list["commands"]]
        assert len(titles) <= 10  # Teams shows at most ten commands per scope
        assert set(titles) <= verbs
    for icon, size in (("color.png", 192), ("outline.png", 32)):
        data = (MANIFESTS / "teams" / icon).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == size


def test_teams_bot_takes_files_so_a_person_can_attach_one_in_their_chat():
    """Without supportsFiles Teams hides the attach button in the bot's chat and sends no file consent
    invoke (adapters/teams/file_consent.py); Teams' file APIs work in the personal scope only."""
    bot = json.loads((MANIFESTS / "teams" / "manifest.json").read_text())["bots"][0]
    assert bot["supportsFiles"] is True
    assert "personal" in bot["scopes"]
