"""The few plain lines `my data` shows, and the .txt download: what the export amounts to, for a person who
will not read JSON. Written from the export itself (bot/privacy/export.py), so the two never disagree, in
the person's language (the language in their own row of the export)."""

from collections import Counter
from typing import Any

from bot.applications import status_name
from bot.i18n import N_, _, role_word, speaking
from bot.messages import each_of, platform_name
from bot.timezones import zone_name

FILE_TITLE = N_("What the coaching assistant holds about you")
# One-to-one sessions counted by status: "3 booked".
SESSION_COUNTS = {
    "booked": N_("{count} booked"),
    "held": N_("{count} held"),
    "cancelled": N_("{count} cancelled"),
    "rescheduled": N_("{count} rescheduled"),
    "no_show": N_("{count} no show"),
}


def readable_file(data: dict[str, Any]) -> str:
    """The .txt download: a title, then the summary's lines."""
    with speaking(_language(data)):
        return "\n".join([_(FILE_TITLE), "", *readable_summary(data), ""])


def readable_summary(data: dict[str, Any]) -> list[str]:
    """One line per kind of thing held, in plain words; the anonymous survey answers' sentence last."""
    with speaking(_language(data)):
        return _summary(data)


def _language(data: dict[str, Any]) -> str | None:
    persons = data["tables"]["persons"]["rows"]
    return persons[0].get("language") if persons else None


def _summary(data: dict[str, Any]) -> list[str]:
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
    name, email = me["display_name"], me["email"]
    platforms = each_of(sorted({platform_name(account["platform"]) for account in accounts}))
    zone = zone_name(me["timezone"]) if me.get("timezone") else ""
    if zone and platforms:
        return _("You: {name}, {email}, {zone}; you write from {platforms}.").format(
            name=name, email=email, zone=zone, platforms=platforms
        )
    if zone:
        return _("You: {name}, {email}, {zone}.").format(name=name, email=email, zone=zone)
    if platforms:
        return _("You: {name}, {email}; you write from {platforms}.").format(
            name=name, email=email, platforms=platforms
        )
    return _("You: {name}, {email}.").format(name=name, email=email)


def _cohort(labels: dict[int, str], cohort_id: Any) -> str:
    label = labels.get(cohort_id)
    return label if label is not None else _("a cohort")


def _roles(memberships: list[dict[str, Any]], labels: dict[int, str]) -> list[str]:
    roles = [
        _("{role} in {cohort}").format(role=role_word(row["role"]), cohort=_cohort(labels, row["cohort_id"]))
        for row in memberships
    ]
    return [_("Your roles: {roles}.").format(roles=_("; ").join(roles))] if roles else []


def _applications(applications: list[dict[str, Any]], my_id: Any, labels: dict[int, str]) -> list[str]:
    own = [row for row in applications if row.get("person_id") == my_id]
    decided = len(applications) - len(own)
    lines = []
    if own:
        each = _("; ").join(
            _("{cohort}: {status}").format(cohort=_cohort(labels, row["cohort_id"]), status=status_name(row["status"]))
            for row in own
        )
        lines.append(
            _("Your applications: {applications}. Their answers and materials are in the file.").format(
                applications=each
            )
        )
    if decided:
        lines.append(
            _("Applications you decided on as a coordinator: {count} (your decision only, not their texts).").format(
                count=decided
            )
        )
    return lines


def _pairs(pairs: list[dict[str, Any]], my_id: Any, labels: dict[int, str]) -> list[str]:
    described = []
    for row in pairs:
        partner = row["guided_id"] if row["guide_id"] == my_id else row["guide_id"]
        cohort = _cohort(labels, row["cohort_id"])
        if row["status"] == "active":
            described.append(_("with {partner} in {cohort}, active").format(partner=partner, cohort=cohort))
        else:
            described.append(_("with {partner} in {cohort}, ended").format(partner=partner, cohort=cohort))
    return [_("Your pairings: {pairings}.").format(pairings=_("; ").join(described))] if described else []


def _sessions(status: str, count: int) -> str:
    if status in SESSION_COUNTS:
        return _(SESSION_COUNTS[status]).format(count=count)
    return f"{count} {status.replace('_', ' ')}"


def _counted(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    sessions = Counter(row["status"] for row in rows.get("coaching_sessions", []))
    if sessions:
        each = _(", ").join(_sessions(status, count) for status, count in sorted(sessions.items()))
        lines.append(
            _("Your one-to-one sessions: {sessions}. When they were, never what was said.").format(sessions=each)
        )
    answered = [row for row in rows.get("check_ins", []) if row.get("answered_at")]
    if rows.get("check_ins"):
        lines.append(
            _("Check-ins: {asked} asked, {answered} answered (buttons and counts only).").format(
                asked=len(rows["check_ins"]), answered=len(answered)
            )
        )
    minutes = sum(row["minutes"] for row in rows.get("hour_entries", []))
    if minutes:
        entries = len(rows["hour_entries"])
        lines.append(
            _("Hours you logged: {hours} in {count} entries.").format(hours=f"{minutes / 60:g}", count=entries)
        )
    if rows.get("profiles"):
        lines.append(_("Your coach profile: expertise, interests, languages and capacity."))
    if rows.get("availability"):
        lines.append(_("Your weekly free hours: {count} periods.").format(count=len(rows["availability"])))
    if rows.get("survey_invitations"):
        lines.append(
            _("Surveys you were asked: {count} (how far you got, not what you said).").format(
                count=len(rows["survey_invitations"])
            )
        )
    if rows.get("outbox"):
        lines.append(_("Messages the assistant sent you or will send you: {count}.").format(count=len(rows["outbox"])))
    if rows.get("dialog_states"):
        lines.append(_("A question under way, so you can carry on where you left off."))
    return lines
