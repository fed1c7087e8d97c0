"""The few plain lines `my data` shows, and the .txt download: what the export amounts to, for a person who
will not read JSON. Written from the export itself (bot/privacy/export.py), so the two never disagree."""

from collections import Counter
from typing import Any

from bot.messages import PLATFORM_NAMES
from bot.timezones import zone_name


def readable_summary(data: dict[str, Any]) -> list[str]:
    """One line per kind of thing held, in plain English; the anonymous survey answers' sentence last."""
    tables: dict[str, Any] = data["tables"]
    labels = {cohort["id"]: cohort["label"] for cohort in data["cohorts"]}
    rows = {name: table["rows"] for name, table in tables.items()}
    me = rows["persons"][0] if rows["persons"] else {}
    my_id = me.get("id")
    lines = [_you(me, rows["accounts"])]
    lines += _roles(rows["memberships"], labels)
    lines += _applications(rows["applications"], my_id, labels)
    lines += _pairs(rows["pairs"], my_id, labels)
    lines += _counted(rows)
    lines.append(data["anonymous_survey_answers"])
    return [line for line in lines if line]


def _you(me: dict[str, Any], accounts: list[dict[str, Any]]) -> str:
    if not me:
        return ""
    zone = f", {zone_name(me['timezone'])}" if me.get("timezone") else ""
    platforms = sorted({PLATFORM_NAMES.get(account["platform"], account["platform"]) for account in accounts})
    where = f"; you write from {' and '.join(platforms)}" if platforms else ""
    return f"You: {me['display_name']}, {me['email']}{zone}{where}."


def _roles(memberships: list[dict[str, Any]], labels: dict[int, str]) -> list[str]:
    roles = [f"{row['role']} in {labels.get(row['cohort_id'], 'a cohort')}" for row in memberships]
    return [f"Your roles: {'; '.join(roles)}."] if roles else []


def _applications(applications: list[dict[str, Any]], my_id: Any, labels: dict[int, str]) -> list[str]:
    own = [row for row in applications if row.get("person_id") == my_id]
    decided = len(applications) - len(own)
    lines = []
    if own:
        each = "; ".join(f"{labels.get(row['cohort_id'], 'a cohort')}: {row['status']}" for row in own)
        lines.append(f"Your applications: {each}. Their answers and materials are in the file.")
    if decided:
        lines.append(f"Applications you decided on as a coordinator: {decided} (your decision only, not their texts).")
    return lines


def _pairs(pairs: list[dict[str, Any]], my_id: Any, labels: dict[int, str]) -> list[str]:
    described = []
    for row in pairs:
        partner = row["guided_id"] if row["guide_id"] == my_id else row["guide_id"]
        state = "active" if row["status"] == "active" else "ended"
        described.append(f"with {partner} in {labels.get(row['cohort_id'], 'a cohort')}, {state}")
    return [f"Your pairings: {'; '.join(described)}."] if described else []


def _counted(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    sessions = Counter(row["status"] for row in rows.get("coaching_sessions", []))
    if sessions:
        each = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(sessions.items()))
        lines.append(f"Your one-to-one sessions: {each}. When they were, never what was said.")
    answered = [row for row in rows.get("check_ins", []) if row.get("answered_at")]
    if rows.get("check_ins"):
        lines.append(f"Check-ins: {len(rows['check_ins'])} asked, {len(answered)} answered (buttons and counts only).")
    minutes = sum(row["minutes"] for row in rows.get("hour_entries", []))
    if minutes:
        lines.append(f"Hours you logged: {minutes / 60:g} in {len(rows['hour_entries'])} entries.")
    if rows.get("profiles"):
        lines.append("Your coach profile: expertise, interests, languages and capacity.")
    if rows.get("availability"):
        lines.append(f"Your weekly free hours: {len(rows['availability'])} periods.")
    if rows.get("survey_invitations"):
        lines.append(f"Surveys you were asked: {len(rows['survey_invitations'])} (how far you got, not what you said).")
    if rows.get("outbox"):
        lines.append(f"Messages the assistant sent you or will send you: {len(rows['outbox'])}.")
    if rows.get("dialog_states"):
        lines.append("A question under way, so you can carry on where you left off.")
    return lines
