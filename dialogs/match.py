"""`match [program]` (coordinators): propose coach or mentor pairings for a cohort, then confirm them.

The pool is the cohort's members in the guided role (participant, mentee, partner) without an active
pairing, and its coaches or mentors with places left. What they wrote in their applications (goals,
expertise, objective, career stage), a guide's profile (bot/profiles.py: expertise, interests, languages,
capacity; their application's words when they have no profile), time zones and each guide's capacity go
into an optimal assignment (bot/matching.py); each proposal says why it was made. The coordinator can swap two
proposals, pin one (the rest is re-optimised around it) and confirm; both people are then told by
direct message who their partner is and how to start.
"""

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import ending, outbox, profiles
from bot.cohorts import cohort_in_sentence, cohort_label, cohort_of_program
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, ngettext, role_word, speaking
from bot.matching import Candidate, Guide, MatchResult, Proposal, propose
from bot.messages import Button, Reply
from bot.programs import Program
from bot.roles import other_cohort_refusal
from bot.timezones import today_in, zone_name
from storage.models import Application, Cohort, Membership, Pair, Person, Profile

NAME = "match"
TEXT_ANSWERS_SKIPPED = ("career_stage", "capacity", "languages")
ENDED = N_("no more pairs are made")
SUMMARY = N_("propose coach or mentor pairings for a cohort, then confirm them")


async def start(turn: Turn, args: str) -> None:
    programs = [p for p in turn.programs if turn.roles.coordinates(p.id)]
    if args.strip():
        program = turn.programs.find(args)
        if program is None or program not in programs:
            turn.say(
                _("You don't coordinate a program called `{name}`. Type `match` to see yours.").format(
                    name=args.strip()[:60]
                )
            )
            return
        programs = [program]
    cohorts, ended, running = [], [], 0
    for program in programs:
        query = (
            select(Cohort)
            .where(Cohort.program_id == program.id, turn.roles.coordinated_cohorts())
            .order_by(Cohort.starts_on.desc())
        )
        for cohort in (await turn.session.execute(query)).scalars():
            if ending.has_ended(cohort, program, turn.now):
                ended.append((cohort, program))
                continue
            running += 1
            if (await _pool(turn, program, cohort))[0]:
                cohorts.append(cohort)
    if ended and not running:
        turn.say(ending.refusal(ended, _(ENDED), _("Nothing was changed.")))
        return
    if not cohorts:
        turn.say(_("Everyone in the cohorts you coordinate is paired: there is no one to match."))
        return
    if len(cohorts) == 1:
        await _propose(turn, str(cohorts[0].id), pinned=[])
        return
    buttons = tuple(button(NAME, _label(turn, c), f"cohort|{c.id}") for c in cohorts)
    turn.ask(NAME, "cohort", _("Which cohort would you like to match?"), expects="choice", buttons=buttons)


class MatchDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or type `match` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action == "cohort":
            await _propose(turn, rest, pinned=[])
            return
        data = turn.active.data if turn.active and turn.active.dialog == NAME else None
        if data is None or str(data.get("cohort_id")) != rest.partition("|")[0]:
            turn.say(_("These proposals are out of date. Type `match` for fresh ones."))
            return
        pairs: list[list[Any]] = data["pairs"]
        if action == "pin":
            _choose(turn, data, _("Which pair should stay as it is?"), "pin-one")
        elif action == "pin-one":
            pinned = [(c, g) for c, g, p in pairs if p or c == int(rest.split("|")[1])]
            await _propose(turn, str(data["cohort_id"]), pinned=pinned)
        elif action == "swap":
            _choose(turn, data, _("Swap the coaches of which two pairs? Pick the first."), "swap-first")
        elif action == "swap-first":
            data["first"] = int(rest.split("|")[1])
            _choose(turn, data, _("And the second?"), "swap-second", leave_out=data["first"])
        elif action == "swap-second":
            await _swap(turn, data, data.get("first"), int(rest.split("|")[1]))
        elif action == "confirm":
            await _confirm(turn, data)
        elif action == "stop":
            turn.finish()
            turn.say(_("Fine: no pairs were made."))


# Proposing


async def _propose(turn: Turn, cohort_id: str, pinned: list[tuple[int, int]]) -> None:
    found = await _coordinated_cohort(turn, cohort_id)
    if found is None:
        return
    program, cohort = found
    candidates, guides, excluded = await _pool(turn, program, cohort)
    keys = {c.key for c in candidates}, {g.key for g in guides}
    pinned = [(c, g) for c, g in pinned if c in keys[0] and g in keys[1] and (c, g) not in excluded and c != g]
    result = propose(candidates, guides, today_in(turn.now, turn.timezone), pinned=pinned, excluded=excluded)
    _show(turn, program, cohort, result)


def _show(turn: Turn, program: Program, cohort: Cohort, result: MatchResult) -> None:
    if not result.proposals:
        where = cohort_in_sentence(cohort, program)
        if result.unmatched:
            text = _("I can't propose any pair for {cohort}: no {role} has a free place.").format(
                cohort=where, role=role_word(program.guide_role)
            )
        else:
            text = _("I can't propose any pair for {cohort}: there is no one to match.").format(cohort=where)
        turn.finish()
        turn.say(text)
        return
    lines = [_proposal_line(p) for p in result.proposals]
    if result.unmatched:
        names = ", ".join(c.name for c in result.unmatched)
        lines.append(
            _("Not matched (no {role} with a free place suits them): {names}").format(
                role=role_word(program.guide_role), names=names
            )
        )
    value = str(cohort.id)
    buttons: list[Button] = [button(NAME, _("Confirm these pairs"), f"confirm|{value}", "primary")]
    if len(result.proposals) > 1:
        buttons.append(button(NAME, _("Swap two"), f"swap|{value}"))
    buttons += [button(NAME, _("Pin one"), f"pin|{value}"), button(NAME, _("Don't pair now"), f"stop|{value}")]
    turn.say(
        _("Total compatibility {score} (each pair scores 0-100).").format(score=f"{result.total_score:.0f}"),
        title=_("Proposed pairs: {cohort}").format(cohort=cohort_label(cohort, program)),
        lines=tuple(lines),
    )
    data = {
        "cohort_id": cohort.id,
        "pairs": [[p.candidate.key, p.guide.key, p.pinned] for p in result.proposals],
        "names": {str(p.candidate.key): p.candidate.name for p in result.proposals},
    }
    turn.ask(NAME, "proposals", _("Confirm, swap or pin?"), expects="choice", buttons=tuple(buttons), data=data)


def _proposal_line(proposal: Proposal) -> str:
    if proposal.pinned:
        line = _("{candidate} with {guide} (pinned): score {score} ({reasons})")
    else:
        line = _("{candidate} with {guide}: score {score} ({reasons})")
    return line.format(
        candidate=proposal.candidate.name,
        guide=proposal.guide.name,
        score=f"{proposal.score:.0f}",
        reasons="; ".join(proposal.reasons),
    )


def _choose(turn: Turn, data: dict[str, Any], question: str, action: str, leave_out: int | None = None) -> None:
    buttons = tuple(
        button(NAME, data["names"][str(candidate)], f"{action}|{data['cohort_id']}|{candidate}")
        for candidate, _guide, _pinned in data["pairs"]
        if candidate != leave_out
    )
    turn.ask(NAME, "proposals", question, expects="choice", buttons=buttons, data=data)


async def _swap(turn: Turn, data: dict[str, Any], first: int | None, second: int) -> None:
    pairs = {candidate: guide for candidate, guide, _pinned in data["pairs"]}
    if first not in pairs or second not in pairs or first == second:
        turn.say(_("Please pick two different pairs. Nothing was changed."))
        return
    if pairs[second] == first or pairs[first] == second:
        turn.say(_("That swap would pair someone with themselves. Nothing was changed."))
        return
    pairs[first], pairs[second] = pairs[second], pairs[first]
    # The coordinator decided these two: keep them, and everything else already pinned.
    pinned = [(c, g) for c, g, p in data["pairs"] if p and c not in (first, second)]
    pinned += [(first, pairs[first]), (second, pairs[second])]
    await _propose(turn, str(data["cohort_id"]), pinned=pinned)


# Confirming


async def _confirm(turn: Turn, data: dict[str, Any]) -> None:
    turn.finish()
    found = await _coordinated_cohort(turn, str(data["cohort_id"]))
    if found is None:
        return
    program, cohort = found
    candidates, guides, excluded = await _pool(turn, program, cohort)
    free = {c.key: c for c in candidates}
    places = Counter({g.key: g.capacity for g in guides})
    made, skipped = [], []
    for candidate_key, guide_key, _pinned in data["pairs"]:
        if candidate_key not in free or places[guide_key] <= 0 or (candidate_key, guide_key) in excluded:
            skipped.append(data["names"].get(str(candidate_key), _("someone")))
            continue
        if not await _pair(turn, cohort, guide_key, candidate_key):
            skipped.append(data["names"].get(str(candidate_key), _("someone")))
            continue
        places[guide_key] -= 1
        del free[candidate_key]
        made.append((guide_key, candidate_key))
    for guide_key, candidate_key in made:
        await _tell_pair(turn, program, cohort, guide_key, candidate_key)
    text = ngettext(
        "Done: {count} pair made in {cohort}, and I am telling each person who their partner is.",
        "Done: {count} pairs made in {cohort}, and I am telling each person who their partner is.",
        len(made),
    ).format(count=len(made), cohort=cohort_in_sentence(cohort, program))
    if skipped:
        text += " " + _(
            "Not paired, because they were paired or their {role} filled up meanwhile: {names}. "
            "Type `match` again for them."
        ).format(role=role_word(program.guide_role), names=", ".join(skipped))
    turn.say(text)


async def _pair(turn: Turn, cohort: Cohort, guide_id: int, guided_id: int) -> bool:
    try:
        async with turn.session.begin_nested():
            turn.session.add(
                Pair(cohort_id=cohort.id, guide_id=guide_id, guided_id=guided_id, status="active", created_at=turn.now)
            )
    except IntegrityError:  # this pair existed before (and ended): it is not made again
        return False
    return True


async def _tell_pair(turn: Turn, program: Program, cohort: Cohort, guide_id: int, guided_id: int) -> None:
    guide = await turn.session.get_one(Person, guide_id)
    guided = await turn.session.get_one(Person, guided_id)
    for person, partner, partner_role in ((guided, guide, program.guide_role), (guide, guided, program.guided_role)):
        with speaking(person.language):  # each of the two in their own language
            reply = _pairing_letter(program, cohort, partner, partner_role)
        outbox.queue(turn.session, person.id, reply, kind="pairing", now=turn.now)


def _pairing_letter(program: Program, cohort: Cohort, partner: Person, partner_role: str) -> Reply:
    """Who someone's new partner is and how to start, in the language of the `speaking` block."""
    role, cohort_words = role_word(partner_role), cohort_of_program(cohort, program)
    if partner.timezone:
        text = _("Your {role} in {cohort} is *{name}*, {email}; their time zone is {zone}.").format(
            role=role,
            cohort=cohort_words,
            name=partner.display_name,
            email=partner.email,
            zone=zone_name(partner.timezone),
        )
    else:
        text = _("Your {role} in {cohort} is *{name}*, {email}.").format(
            role=role, cohort=cohort_words, name=partner.display_name, email=partner.email
        )
    text += " " + _("To book your first session, type `book` (or `book next Tuesday 3pm`).")
    sessions = program.one_to_one
    if sessions is not None and sessions.quota_words():
        text += " " + _("The program plans {count} sessions of {minutes} minutes.").format(
            count=sessions.quota_words(), minutes=sessions.minutes
        )
    elif sessions is not None:
        text += " " + _("The program plans sessions of {minutes} minutes.").format(minutes=sessions.minutes)
    return Reply(text, title=_("{program}: you have a {role}").format(program=program.short_name, role=role))


# The pool: who can be matched, with what they wrote


async def _pool(
    turn: Turn, program: Program, cohort: Cohort
) -> tuple[list[Candidate], list[Guide], set[tuple[int, int]]]:
    members = await _members(turn, cohort)
    active = await _active_pairs(turn, cohort)
    paired_guided = {guided for _guide, guided in active}
    load = Counter(guide for guide, _guided in active)
    writing = await _applications(turn, program, cohort)
    offered = await _profiles(turn, [person.id for person, role in members if role == program.guide_role])
    candidates, guides = [], []
    for person, role in members:
        answers, text = writing.get(person.id, ({}, ""))
        stage = answers.get("career_stage")
        zone = person.timezone or "UTC"
        if role == program.guided_role and person.id not in paired_guided:
            languages = profiles.application_languages(answers)
            candidates.append(Candidate(person.id, person.display_name, text, zone, stage, languages))
        elif role == program.guide_role:
            profile = offered.get(person.id)
            text = (profiles.matching_text(profile) if profile else "") or text
            capacity = max(profiles.capacity_of(profile, answers, program) - load[person.id], 0)
            languages = profiles.languages_of(profile) or profiles.application_languages(answers)
            guides.append(Guide(person.id, person.display_name, text, zone, capacity, stage, languages))
    ended = select(Pair.guided_id, Pair.guide_id).where(Pair.cohort_id == cohort.id, Pair.status != "active")
    excluded = {(guided, guide) for guided, guide in (await turn.session.execute(ended)).all()}
    return candidates, guides, excluded


async def _profiles(turn: Turn, person_ids: list[int]) -> dict[int, Profile]:
    if not person_ids:
        return {}
    query = select(Profile).where(Profile.person_id.in_(person_ids))
    return {profile.person_id: profile for profile in (await turn.session.execute(query)).scalars()}


async def _members(turn: Turn, cohort: Cohort) -> list[tuple[Person, str]]:
    query = (
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort.id)
        .order_by(Person.display_name, Person.id)
    )
    return [(person, role) for person, role in (await turn.session.execute(query)).all()]


async def _active_pairs(turn: Turn, cohort: Cohort) -> list[tuple[int, int]]:
    query = select(Pair.guide_id, Pair.guided_id).where(Pair.cohort_id == cohort.id, Pair.status == "active")
    return [(guide, guided) for guide, guided in (await turn.session.execute(query)).all()]


async def _applications(turn: Turn, program: Program, cohort: Cohort) -> dict[int, tuple[dict[str, Any], str]]:
    """Each applicant's answers, and the words they wrote (questions and text materials) for matching.

    Eligibility answers (yes/no) say nothing about interests and are left out."""
    question_ids = {q.id for q in program.application.questions} - set(TEXT_ANSWERS_SKIPPED)
    query = select(Application).where(Application.cohort_id == cohort.id, Application.status == "accepted")
    found = {}
    for application in (await turn.session.execute(query)).scalars():
        words = [str(v) for k, v in application.answers.items() if k in question_ids]
        words += [m["text"] for m in application.materials.values() if isinstance(m, dict) and m.get("text")]
        found[application.person_id] = (application.answers, " ".join(words))
    return found


async def _coordinated_cohort(turn: Turn, cohort_id: str) -> tuple[Program, Cohort] | None:
    given_id = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given_id) if given_id is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None:
        turn.finish()
        turn.say(_("I can't find that cohort any more. Type `match` to start again."))
        return None
    if not turn.roles.coordinates(program.id):
        turn.finish()
        turn.say(
            _("Only coordinators of the {program} can match its cohorts. Nothing was changed.").format(
                program=program.short_name
            )
        )
        return None
    if not turn.roles.coordinates_cohort(cohort):
        turn.finish()
        turn.say(other_cohort_refusal(program, cohort, _("match it"), _("Nothing was changed.")))
        return None
    if ending.has_ended(cohort, program, turn.now):
        turn.finish()
        turn.say(ending.refusal([(cohort, program)], _(ENDED), _("Nothing was changed.")))
        return None
    return program, cohort


def _label(turn: Turn, cohort: Cohort) -> str:
    return cohort_label(cohort, turn.programs.get(cohort.program_id))


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            SUMMARY,
            "match [PROGRAM]",
            start,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(MatchDialog())
