"""`apply [program]`: apply to a program whose application window is open, one question at a time.

The person picks a program (and in a program with regions their region, whose cohort takes the
application), answers its role choice, eligibility questions and questions, and gives
its materials (text, or files shared in the chat, or links). Every answer is saved as it is given, so
`apply` continues where they left off, days or a restart later. At the end they see every answer, can
change any of them, and submit; after that they can withdraw (`withdraw`).
"""

from sqlalchemy import select

from bot import outbox
from bot.applications import (
    BOTH,
    DECIDABLE,
    OPEN_STATUSES,
    Step,
    answer_lines,
    choices_of,
    find_step,
    links_in,
    material_files,
    next_call,
    next_step,
    open_cohort,
    open_cohorts,
    release,
    role_choices,
    role_names,
    roles_for,
    status_words,
    step_label,
    steps,
    submittable_until,
    waitlist_names,
    word_count,
)
from bot.cohorts import application_phase, cohort_label, cohort_of_program
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _, ngettext, program_words, role_word, speaking
from bot.messages import Button, Reply, either
from bot.network import cohort_coordinators, find_region, region_name, region_names
from bot.programs import EligibilityQuestion, Material, Program, Question, Region
from bot.timezones import deadline_words
from dialogs import apply_form
from storage.models import Application, Cohort

NAME = "apply"
MAX_ANSWER_CHARACTERS = 2000
SKIP_WORDS = ("skip", "none", "no")
DONE_WORDS = ("done", "that's all", "finished")


# Starting: which program, which cohort, a new application or the one in progress


async def start(turn: Turn, args: str) -> None:
    if not args.strip():
        draft = await _latest_draft(turn)
        if draft is not None:
            await _continue(turn, draft)
            return
        await _offer_programs(turn)
        return
    program = turn.programs.find(args)
    if program is None:
        names = ", ".join(f"`{p.id}`" for p in turn.programs)
        turn.say(
            _("I don't know a program called `{name}`. The programs are: {programs}.").format(
                name=args.strip()[:60], programs=names
            )
        )
        return
    await _apply_to(turn, program)


async def _offer_programs(turn: Turn) -> None:
    buttons: list[Button] = []
    closed: list[str] = []
    for program in turn.programs:
        if program.application.roles and await open_cohort(turn.session, program, turn.now):
            buttons.append(button(NAME, program.short_name, f"start|{program.id}"))
        else:
            call = await next_call(turn.session, program, turn.now)
            closed.append(
                _("{program}: applications open {dates}").format(
                    program=program.short_name, dates=call.words(turn.timezone)
                )
            )
    if not buttons:
        turn.say(_("No program is taking applications right now."), lines=tuple(closed))
        return
    text = _("Which program would you like to apply to?")
    turn.ask(NAME, "program", text, expects="choice", buttons=tuple(buttons), lines=tuple(closed))


async def _apply_to(turn: Turn, program: Program, region: Region | None = None) -> None:
    if program.regions and region is None and await open_cohorts(turn.session, program, turn.now):
        await _ask_region(turn, program)
        return
    region_id = region.id if region else None
    cohort = await open_cohort(turn.session, program, turn.now, region_id) if program.application.roles else None
    if cohort is None and region is not None and await open_cohorts(turn.session, program, turn.now):
        turn.say(
            _("The {program} has no cohort in the {region} taking applications today.").format(
                program=program.short_name, region=region.name
            )
        )
        await _ask_region(turn, program)
        return
    if cohort is None:
        call = await next_call(turn.session, program, turn.now)
        turn.say(
            _("Applications for the {program} are closed now. The next call is open from {dates}.").format(
                program=program.short_name, dates=call.words(turn.timezone)
            )
        )
        return
    application = await _application_of(turn, cohort)
    if application is not None and application.status not in ("withdrawn", "ineligible"):
        await _continue(turn, application)
        return
    if application is None:
        application = Application(cohort_id=cohort.id, person_id=turn.person.id, created_at=turn.now)
        turn.session.add(application)
    single_role = list(program.application.roles) if len(role_choices(program)) == 1 else []
    application.status, application.roles, application.answers, application.materials = "draft", single_role, {}, {}
    application.submitted_at = application.decided_at = application.decided_by_id = None
    application.updated_at = turn.now
    await turn.session.flush()
    call = application_phase(cohort, program)
    closes = call.closing(turn.timezone) if call else _("when the coordinators say")
    turn.say(
        _(
            "Let's apply to {cohort}. Applications close {closing}. "
            "I save every answer as you go: you can stop at any time and type `apply` to continue later."
        ).format(cohort=cohort_of_program(cohort, program), closing=closes),
        buttons=_form_offer(turn, application),
    )
    await _ask_next(turn, application, program)


async def _ask_region(turn: Turn, program: Program) -> None:
    """A program with regions runs one cohort per region: which one (unless an application is going on)."""
    cohorts = await open_cohorts(turn.session, program, turn.now)
    for cohort in cohorts:
        application = await _application_of(turn, cohort)
        if application is not None and application.status not in ("withdrawn", "ineligible"):
            await _continue(turn, application)
            return
    open_in = sorted({region_name(program, c.region_id) for c in cohorts if c.region_id is not None})
    buttons = tuple(button(NAME, region.name, f"region|{program.id}|{region.id}") for region in program.regions)
    turn.ask(
        NAME,
        "region",
        _(
            "The {program} runs one cohort per region. Which region are you in? Taking applications now: {regions}."
        ).format(program=program.short_name, regions=", ".join(open_in) or _("none")),
        expects="choice",
        buttons=buttons,
        data={"program_id": program.id},
    )


async def _continue(turn: Turn, application: Application) -> None:
    program, cohort = await _program_and_cohort(turn, application)
    if application.status == "draft":
        if _past_deadline(turn, application, program, cohort):
            return
        turn.say(
            _("Welcome back: here is your {program} application where you left it.").format(program=program.short_name),
            buttons=_form_offer(turn, application),
        )
        await _ask_next(turn, application, program)
        return
    text = _("Your application to {cohort} is {status}.").format(
        cohort=cohort_label(cohort, program), status=status_words(application.status)
    )
    buttons = (button(NAME, _("Withdraw my application"), f"withdraw|{application.id}", "danger"),)
    turn.say(text, buttons=buttons if application.status in DECIDABLE else ())


def _form_offer(turn: Turn, application: Application) -> tuple[Button, ...]:
    """Slack and Teams can show the questions left as one form; the terminal goes on one at a time."""
    return (apply_form.offer(NAME, application.id),) if turn.inbound.platform != "console" else ()


# Asking: the next unanswered step, or the summary when everything is answered


async def _ask_next(turn: Turn, application: Application, program: Program, *, editing: bool = False) -> None:
    step = next_step(application, program)
    if step is None:
        _ask_to_submit(turn, application, program)
        return
    _ask(turn, application, program, step, editing=editing)


def _ask(turn: Turn, application: Application, program: Program, step: Step, *, editing: bool = False) -> None:
    all_steps = steps(program, application.roles)
    number = next((i for i, s in enumerate(all_steps, 1) if s.key == step.key), len(all_steps))
    prefix = _("({number} of {total})").format(number=number, total=len(all_steps)) + " "
    data = {"application_id": application.id, "editing": editing}
    value = f"{application.id}|{step.key}"
    if step.kind == "role":
        choices = role_choices(program)
        labels = [_role_label(choice, program) for choice in choices]
        buttons = tuple(button(NAME, label, f"answer|{value}|{i}") for i, label in enumerate(labels))
        text = prefix + _("Would you like to take part as {roles}?").format(
            roles=either([label.lower() for label in labels])
        )
        turn.ask(NAME, step.key, text, expects="choice", buttons=buttons, data=data)
        return
    if isinstance(step.item, EligibilityQuestion | Question):
        choices = step.item.choices
        if choices:
            buttons = tuple(
                button(NAME, program_words(choice).capitalize(), f"answer|{value}|{i}")
                for i, choice in enumerate(choices)
            )
            question = prefix + program_words(step.item.question)
            turn.ask(NAME, step.key, question, expects="choice", buttons=buttons, data=data)
        else:
            question = _("{question} (type your answer)").format(question=program_words(step.item.question))
            turn.ask(NAME, step.key, prefix + question, data=data)
        return
    assert isinstance(step.item, Material)
    _ask_material(turn, application, step.item, prefix, data)


def _ask_material(turn: Turn, application: Application, material: Material, prefix: str, data: dict) -> None:  # type: ignore[type-arg]
    value = f"{application.id}|material:{material.id}"
    buttons: list[Button] = []
    label = program_words(material.label)
    if material.kind == "text":
        if material.max_words:
            text = prefix + _("{label} (at most {count} words). Type or paste it here as one message.").format(
                label=label, count=material.max_words
            )
        else:
            text = prefix + _("{label}. Type or paste it here as one message.").format(label=label)
        draft = application.materials.get(material.id)
        if isinstance(draft, dict) and draft.get("draft"):
            buttons.append(button(NAME, _("Show the text I kept"), f"show|{value}"))
    elif _replaces(application, material, data):
        names = ", ".join(f["name"] for f in material_files(application, material.id))
        data = {**data, "replace": material.id}
        text = prefix + _(
            "{label}: you gave {files}. Attach a new file here, or paste a link, and it replaces what you gave."
        ).format(label=label, files=names)
    else:
        given = material_files(application, material.id)
        text = prefix + _("{label}. Attach the file to a message here, or paste a link to it.").format(label=label)
        if material.max_count > 1 and given:
            text += " " + _("You can give up to {count}; you have given {given}.").format(
                count=material.max_count, given=len(given)
            )
        elif material.max_count > 1:
            text += " " + _("You can give up to {count}.").format(count=material.max_count)
        if given:
            buttons.append(button(NAME, _("That's all"), f"done|{value}", "primary"))
    if not material.required:
        buttons.append(button(NAME, _("Skip"), f"skip|{value}"))
    turn.ask(NAME, f"material:{material.id}", text, buttons=tuple(buttons), data=data)


def _replaces(application: Application, material: Material, data: dict) -> bool:  # type: ignore[type-arg]
    """Changing a file material that was given in full: what comes next replaces it (not adds to it)."""
    value = application.materials.get(material.id)
    return bool(data.get("editing")) and isinstance(value, dict) and bool(value.get("done") and value.get("files"))


def _ask_to_submit(turn: Turn, application: Application, program: Program) -> None:
    buttons = (
        button(NAME, _("Submit my application"), f"submit|{application.id}", "primary"),
        button(NAME, _("Change an answer"), f"change|{application.id}"),
    )
    title = _("Your application to the {program}").format(program=program.short_name)
    turn.say("", title=title, lines=tuple(answer_lines(application, program)))
    turn.ask(
        NAME,
        "summary",
        _("That is everything. Please check your answers: submit when you are ready, or change any of them."),
        expects="choice",
        buttons=buttons,
        data={"application_id": application.id},
    )


# Answers typed or clicked


class ApplyDialog:
    name = NAME
    lasting = True  # an application is come back to: its questions stay in the person's DM

    async def on_text(self, turn: Turn, text: str) -> None:
        assert turn.active is not None
        step_key = turn.active.step
        if step_key == "program":
            program = turn.programs.find(text)
            if program is None:
                turn.refuse(_("Please pick one of the programs above, or type its name."))
                return
            await _apply_to(turn, program)
            return
        if step_key == "region":
            await _region_typed(turn, str(turn.active.data.get("program_id")), text)
            return
        application = await _own_draft(turn, turn.active.data.get("application_id"))
        if application is None:
            return
        program, cohort = await _program_and_cohort(turn, application)
        if _past_deadline(turn, application, program, cohort):  # the call closed while they were answering
            return
        if step_key == "summary":
            turn.say(_("Please use the buttons: submit your application, or change an answer."))
            return
        step = find_step(program, application.roles, step_key)
        if step is None:
            await _ask_next(turn, application, program)
            return
        await _answer(turn, application, program, step, text)

    async def ask_again(self, turn: Turn) -> None:
        """The question left open, in the language the person just chose; the answers so far are kept."""
        assert turn.active is not None
        if turn.active.step == "program":
            await _offer_programs(turn)
            return
        if turn.active.step == "region":
            program = turn.programs.get(str(turn.active.data.get("program_id")))
            if program is not None:
                await _ask_region(turn, program)
            return
        application = await _own_draft(turn, turn.active.data.get("application_id"))
        if application is not None:
            program, _cohort = await _program_and_cohort(turn, application)
            await _ask_next(turn, application, program)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action == "start":
            program = turn.programs.get(rest)
            if program is None:
                turn.say(_("That program is no longer offered. Type `apply` to see the programs."))
                return
            await _apply_to(turn, program)
            return
        if action == "region":
            program_id, _sep, region_id = rest.partition("|")
            program = turn.programs.get(program_id)
            region = next((r for r in program.regions if r.id == region_id), None) if program else None
            if program is None or region is None:
                turn.say(_("That region is no longer offered. Type `apply` to see the programs."))
                return
            await _apply_to(turn, program, region)
            return
        application_id, _sep, rest = rest.partition("|")
        if action in ("withdraw", "withdraw-confirm", "keep"):
            await _withdrawal(turn, action, application_id)
            return
        application = await _own_draft(turn, application_id)
        if application is None:
            return
        program, cohort = await _program_and_cohort(turn, application)
        if _past_deadline(turn, application, program, cohort):  # the call closed while they were answering
            return
        if action == "form":
            form = apply_form.form_of(NAME, application, program, lambda role: _role_label(role, program))
            turn.show_form(form, _("The questions left are in the form. You can also go on answering here."))
        elif action == "resume":
            await _ask_next(turn, application, program)
        elif action == "submit":
            await _submit(turn, application, program, cohort)
        elif action == "change":
            _offer_changes(turn, application, program)
        elif action in ("edit", "answer", "skip", "done", "show"):
            step_key, _sep, choice = rest.partition("|")
            step = find_step(program, application.roles, step_key)
            if step is None:
                turn.say(_("That question no longer applies to your application."))
                await _ask_next(turn, application, program)
            elif action == "edit":
                _ask(turn, application, program, step, editing=True)
            elif action == "answer":
                await _answer_choice(turn, application, program, step, choice)
            elif action == "show":
                _show_draft(turn, application, step)
            else:
                await _answer(turn, application, program, step, action)


async def _region_typed(turn: Turn, program_id: str, text: str) -> None:
    program = turn.programs.get(program_id)
    if program is None:
        turn.finish()
        turn.say(_("That program is no longer offered. Type `apply` to see the programs."))
        return
    typed = text.strip()
    region = find_region(program, typed)
    if region is None and typed.isdigit() and 1 <= int(typed) <= len(program.regions):
        region = program.regions[int(typed) - 1]
    if region is None:
        turn.refuse(
            _("Please pick one of the regions: {regions}. Nothing was changed.").format(regions=region_names(program))
        )
        await _ask_region(turn, program)
        return
    await _apply_to(turn, program, region)


async def _answer(turn: Turn, application: Application, program: Program, step: Step, text: str) -> None:
    text = text.strip()
    if choices_of(step, program):
        await _answer_typed_choice(turn, application, program, step, text)
        return
    if isinstance(step.item, Question):
        if not text:
            turn.refuse(_("Please type your answer."))
            return
        if len(text) > MAX_ANSWER_CHARACTERS:
            turn.refuse(
                _("Please keep this answer under {limit} characters (yours has {count}).").format(
                    limit=MAX_ANSWER_CHARACTERS, count=len(text)
                )
            )
            return
        application.answers = {**application.answers, step.item.id: text}
    else:
        assert isinstance(step.item, Material)
        if not _give_material(turn, application, step.item, text):
            if step.item.kind == "text" and application.materials.get(step.item.id, {}).get("draft"):
                _ask(turn, application, program, step, editing=_editing(turn))  # offers the kept text
            return
    await _saved(turn, application, program, step)


async def _answer_typed_choice(turn: Turn, application: Application, program: Program, step: Step, text: str) -> None:
    choices = choices_of(step, program)
    typed = text.lower()
    shown = [_role_label(c, program) for c in choices] if step.kind == "role" else [program_words(c) for c in choices]
    index = next((i for i, choice in enumerate(choices) if choice.lower() == typed), None)
    if index is None:  # the choice as the reader's language words it
        index = next((i for i, words in enumerate(shown) if words.lower() == typed), None)
    if index is None and typed.isdigit() and 1 <= int(typed) <= len(choices):
        index = int(typed) - 1
    if index is None:
        turn.refuse(_("Please answer with one of: {choices}. Nothing was changed.").format(choices=", ".join(shown)))
        _ask(turn, application, program, step, editing=_editing(turn))
        return
    await _answer_choice(turn, application, program, step, str(index))


async def _answer_choice(turn: Turn, application: Application, program: Program, step: Step, index: str) -> None:
    choices = choices_of(step, program)
    if not index.isdigit() or int(index) >= len(choices):
        turn.refuse(_("That choice is no longer offered. Nothing was changed."))
        return
    choice = choices[int(index)]
    if step.kind == "role":
        if choice not in (*program.application.roles, BOTH):
            turn.refuse(
                _("The {program} has no role `{role}`. Nothing was changed.").format(
                    program=program.short_name, role=choice
                )
            )
            return
        application.roles = roles_for(choice, program)
    else:
        application.answers = {**application.answers, step.item_id: choice}
        item = step.item
        if isinstance(item, EligibilityQuestion) and choice not in item.accept:
            await _ineligible(turn, application, program, item)
            return
    await _saved(turn, application, program, step)


def _give_material(turn: Turn, application: Application, material: Material, text: str) -> bool:
    """Store what was given for a material; False (and a reason said) when nothing could be kept."""
    if text.lower() in SKIP_WORDS and not material.required:
        application.materials = {**application.materials, material.id: {"skipped": True}}
        return True
    if material.kind == "text":
        return _give_text(turn, application, material, text)
    if text.lower() in DONE_WORDS:
        if material_files(application, material.id):
            application.materials = {
                **application.materials,
                material.id: _files_value(application, material, done=True),
            }
            return True
        turn.refuse(_("You have not given this one yet: attach the file to a message, or paste a link."))
        return False
    new_files = [{"name": f.name, "url": f.url} for f in turn.inbound.files]
    new_files += [{"name": url.rsplit("/", 1)[-1] or url, "url": url} for url in links_in(text)]
    if not new_files:
        turn.refuse(
            _(
                "I need the file itself: attach it to a message here (drag it into this chat), "
                "or paste a link that starts with https://. Nothing was changed."
            )
        )
        return False
    replacing = bool(turn.active and turn.active.data.get("replace") == material.id)
    given = [] if replacing else material_files(application, material.id)
    if len(given) + len(new_files) > material.max_count:
        turn.refuse(
            _(
                "You can give at most {limit} for this, and you have given {given}; "
                "you sent {count} more. Nothing was added."
            ).format(limit=material.max_count, given=len(given), count=len(new_files))
        )
        return False
    files = given + new_files
    done = len(files) >= material.max_count
    application.materials = {**application.materials, material.id: {"files": files, "done": done}}
    names = ", ".join(f["name"] for f in new_files)
    if replacing:
        replaced = _("Got it: {files} replaces what you gave.").format(files=names)
        turn.say(replaced if done else replaced + " " + _("Add another, or press *That's all*."))
    elif done:
        turn.say(_("Got it: {files}.").format(files=names))
    else:
        turn.say(_("Got it: {files}. Add another, or press *That's all*.").format(files=names))
    return True


def _files_value(application: Application, material: Material, *, done: bool) -> dict:  # type: ignore[type-arg]
    return {"files": material_files(application, material.id), "done": done}


def _give_text(turn: Turn, application: Application, material: Material, text: str) -> bool:
    if not text:
        turn.refuse(_("Please type or paste your text as one message."))
        return False
    words = word_count(text)
    if material.max_words and words > material.max_words:
        # Kept as a draft (not an answer) so the person can shorten it instead of starting over.
        application.materials = {**application.materials, material.id: {"draft": text}}
        limit = material.max_words
        over = _("Your text has {count} words; the limit is {limit}, so it is {over} words over.").format(
            count=words, limit=limit, over=words - limit
        )
        if turn.inbound.form is not None:  # the form keeps what was typed in its box: nothing to copy back
            shorten = _("Please shorten it to at most {limit} words.").format(limit=limit)
            turn.refuse(f"{over} {shorten}")
            return False
        kept = _(
            "I kept it so you can shorten it (press *Show the text I kept* to copy it), "
            "then send a version of at most {limit} words."
        ).format(limit=limit)
        turn.refuse(f"{over} {kept}")
        return False
    application.materials = {**application.materials, material.id: {"text": text, "done": True}}
    turn.say(
        ngettext("Thank you: saved ({count} word).", "Thank you: saved ({count} words).", words).format(count=words)
    )
    return True


def _show_draft(turn: Turn, application: Application, step: Step) -> None:
    value = application.materials.get(step.item_id)
    if not isinstance(value, dict) or not (value.get("draft") or value.get("text")):
        turn.say(_("I have no text kept for this one."))
        return
    turn.say(value.get("draft") or value["text"], title=_("Your text, to copy and shorten"))


async def _saved(turn: Turn, application: Application, program: Program, step: Step) -> None:
    application.updated_at = turn.now
    await _ask_next(turn, application, program, editing=_editing(turn))


def _editing(turn: Turn) -> bool:
    return bool(turn.active and turn.active.data.get("editing"))


async def _ineligible(turn: Turn, application: Application, program: Program, rule: EligibilityQuestion) -> None:
    application.status, application.updated_at = "ineligible", turn.now
    turn.finish()
    # A rule reads either as what the program asks for, or as who is not eligible.
    if rule.rule.endswith("eligible"):
        text = _(
            "Thank you for your interest, {name}. In the {program}, {rule}, so I have to end the application "
            "here: there is nothing more to fill in. If I misunderstood, you can start again with "
            "`apply {program_id}` while applications are open."
        )
    else:
        text = _(
            "Thank you for your interest, {name}. The {program} asks for {rule}, so I have to end the application "
            "here: there is nothing more to fill in. If I misunderstood, you can start again with "
            "`apply {program_id}` while applications are open."
        )
    turn.say(
        text.format(
            name=turn.person.display_name,
            program=program.short_name,
            rule=program_words(rule.rule),
            program_id=program.id,
        )
    )


def _offer_changes(turn: Turn, application: Application, program: Program) -> None:
    buttons = tuple(
        button(NAME, step_label(step, program)[:70], f"edit|{application.id}|{step.key}")
        for step in steps(program, application.roles)
    )
    turn.ask(
        NAME,
        "summary",
        _("Which answer would you like to change?"),
        expects="choice",
        buttons=buttons,
        data={"application_id": application.id},
    )


def _past_deadline(turn: Turn, application: Application, program: Program, cohort: Cohort) -> bool:
    """Say so when the call has closed for this draft (the draft stays as it is)."""
    call = application_phase(cohort, program)
    until = submittable_until(application, call)
    if until is None or turn.now < until:
        return False
    if call is not None and until == call.deadline:
        closed = call.closing(turn.timezone)
    else:  # reopened for this application until later
        closed = _("on {deadline}").format(deadline=deadline_words(until, None, turn.timezone))
    turn.finish()
    turn.say(
        _(
            "The call for {cohort} closed {closing}, so your application can no "
            "longer be submitted. Your draft is kept as it is: a coordinator can reopen it for you, or extend the call."
        ).format(cohort=cohort_label(cohort, program), closing=closed)
    )
    return True


async def _submit(turn: Turn, application: Application, program: Program, cohort: Cohort) -> None:
    missing = next_step(application, program)
    if missing is not None:
        turn.say(_("One answer is still missing."))
        _ask(turn, application, program, missing)
        return
    application.status, application.submitted_at, application.updated_at = "submitted", turn.now, turn.now
    for coordinator in await cohort_coordinators(turn.session, cohort, program):
        if coordinator.id != turn.person.id:
            with speaking(coordinator.language):
                roles = role_names(application.roles) or role_word(program.guided_role)
                notice = Reply(
                    _(
                        "New application: {name} applied to {cohort} as {roles}. Type `review` to read it and decide."
                    ).format(name=turn.person.display_name, cohort=cohort_label(cohort, program), roles=roles)
                )
            outbox.queue(turn.session, coordinator.id, notice, kind="application", now=turn.now)
    turn.finish()
    turn.say(
        _(
            "Submitted! Your application to the {program} is with the coordinators. I will message you "
            "here when they decide. `status` shows where it stands; `withdraw` withdraws it."
        ).format(program=program.short_name)
    )


# Withdrawing


async def _withdrawal(turn: Turn, action: str, application_id: str) -> None:
    application = await _own(turn, application_id)
    if application is None:
        return
    program, cohort = await _program_and_cohort(turn, application)
    if application.status not in OPEN_STATUSES:
        turn.say(
            _("Your application to the {program} is {status}.").format(
                program=program.short_name, status=status_words(application.status)
            )
        )
        return
    if action == "keep":
        turn.say(_("Fine: your application stays as it is."))
        return
    if action == "withdraw":
        buttons = (
            button(NAME, _("Yes, withdraw"), f"withdraw-confirm|{application.id}", "danger"),
            button(NAME, _("No, keep it"), f"keep|{application.id}"),
        )
        question = _("Withdraw your application to {cohort}?").format(cohort=cohort_label(cohort, program))
        if application.status == "accepted":
            question += " " + _("You would give up your place in the cohort.")
        turn.ask(
            NAME,
            "withdraw",
            question,
            expects="choice",
            buttons=buttons,
        )
        return
    await withdraw(turn, application, program, cohort)


async def withdraw(turn: Turn, application: Application, program: Program, cohort: Cohort) -> None:
    was = application.status
    freed = await release(turn.session, application, turn.now, "withdrawn") if was == "accepted" else False
    application.status, application.updated_at = "withdrawn", turn.now
    turn.finish()
    if was != "draft":
        waiting = await waitlist_names(turn.session, cohort.id) if freed else []
        for coordinator in await cohort_coordinators(turn.session, cohort, program):
            if coordinator.id != turn.person.id:
                with speaking(coordinator.language):
                    text = _("{name} withdrew their application to {cohort}.").format(
                        name=turn.person.display_name, cohort=cohort_label(cohort, program)
                    )
                    if freed and waiting:
                        text += " " + _("A seat is free; on the waitlist: {names}.").format(names=", ".join(waiting))
                    elif freed:
                        text += " " + _("A seat is free.")
                    notice = Reply(text)
                outbox.queue(turn.session, coordinator.id, notice, kind="withdrawal", now=turn.now)
    turn.say(
        _("Done: your application to the {program} is withdrawn. Thank you for letting us know.").format(
            program=program.short_name
        )
    )


async def withdraw_command(turn: Turn, args: str) -> None:
    query = (
        select(Application)
        .where(Application.person_id == turn.person.id, Application.status.in_(DECIDABLE))
        .order_by(Application.updated_at.desc())
    )
    applications = list((await turn.session.execute(query)).scalars())
    if args.strip():
        program = turn.programs.find(args)
        applications = [a for a in applications if program and await _is_of(turn, a, program)]
    if not applications:
        turn.say(_("You have no application to withdraw. `status` shows your applications."))
        return
    if len(applications) == 1:
        await _withdrawal(turn, "withdraw", str(applications[0].id))
        return
    buttons = []
    for application in applications:
        program, cohort = await _program_and_cohort(turn, application)
        buttons.append(button(NAME, cohort_label(cohort, program), f"withdraw|{application.id}", "danger"))
    turn.ask(
        NAME, "withdraw", _("Which application would you like to withdraw?"), expects="choice", buttons=tuple(buttons)
    )


# Loading


async def _is_of(turn: Turn, application: Application, program: Program) -> bool:
    cohort = await turn.session.get_one(Cohort, application.cohort_id)
    return cohort.program_id == program.id


async def _application_of(turn: Turn, cohort: Cohort) -> Application | None:
    query = select(Application).where(Application.cohort_id == cohort.id, Application.person_id == turn.person.id)
    return (await turn.session.execute(query)).scalar_one_or_none()


async def _latest_draft(turn: Turn) -> Application | None:
    query = (
        select(Application)
        .where(Application.person_id == turn.person.id, Application.status == "draft")
        .order_by(Application.updated_at.desc())
        .limit(1)
    )
    return (await turn.session.execute(query)).scalar_one_or_none()


async def _own(turn: Turn, application_id: object) -> Application | None:
    application = None
    if str(application_id).isdigit():
        application = await turn.session.get(Application, int(str(application_id)))
    if application is None or application.person_id != turn.person.id:
        turn.finish()
        turn.say(_("I can't find that application any more. Type `apply` to start or continue one."))
        return None
    return application


async def _own_draft(turn: Turn, application_id: object) -> Application | None:
    application = await _own(turn, application_id)
    if application is not None and application.status != "draft":
        turn.finish()
        turn.say(
            _(
                "This application is {status}, so its answers can no longer be changed. `status` shows where it stands."
            ).format(status=status_words(application.status))
        )
        return None
    return application


async def _program_and_cohort(turn: Turn, application: Application) -> tuple[Program, Cohort]:
    cohort = await turn.session.get_one(Cohort, application.cohort_id)
    program = turn.programs.get(cohort.program_id)
    if program is None:
        raise LookupError("the cohort's program file was removed")
    return program, cohort


def _role_label(choice: str, program: Program) -> str:
    if choice == BOTH:
        return role_names(program.application.roles).capitalize()
    return role_word(choice).capitalize()


def register(registry: Registry) -> None:
    registry.add_command(
        Command(NAME, N_("apply to a program, or continue your application"), "apply [PROGRAM]", start)
    )
    registry.add_command(
        Command("withdraw", N_("withdraw an application you submitted"), "withdraw [PROGRAM]", withdraw_command)
    )
    registry.add_dialog(ApplyDialog())
