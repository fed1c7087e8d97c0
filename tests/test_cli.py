"""The command line as an operator uses it, in a subprocess."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROGRAMS_DIR, ROOT


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any platform or database settings, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_"))}
    return {**clean, **env}


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env=environment(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_programs_check_passes_on_the_shipped_files():
    result = run(["programs", "check"], {"PROGRAMS_DIR": str(PROGRAMS_DIR)})
    assert result.returncode == 0, result.stderr
    assert "4 program files are valid" in result.stdout


def test_programs_check_names_the_broken_file_and_key(tmp_path):
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "iatul-sig-alice.toml"
    path.write_text(path.read_text().replace("max_per_month = 5", "max_per_month = 1"))
    result = run(["programs", "check"], {"PROGRAMS_DIR": str(folder)})
    assert result.returncode == 2
    assert "iatul-sig-alice.toml: key 'coach_hours.max_per_month': must not be below min_per_month" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_variable_stops_the_start_with_one_line(tmp_path):
    result = run(["serve"], {"PORT": "eighty", "PROGRAMS_DIR": str(PROGRAMS_DIR)})
    assert result.returncode == 2
    expected = "configuration error: PORT must be a number from 1 to 65535, got 'eighty'"
    assert result.stderr.strip().splitlines() == [expected]


def test_db_upgrade_then_demo_then_chat(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db", "PROGRAMS_DIR": str(PROGRAMS_DIR)}
    assert run(["db", "upgrade"], env).returncode == 0
    tables = {row[0] for row in sqlite3.connect(tmp_path / "c.db").execute("select name from sqlite_master")}
    assert {"persons", "accounts", "cohorts", "memberships", "pairs", "dialog_states"} <= tables
    demo = run(["demo"], env)
    assert "AAHSL Demo 20" in demo.stdout and "SIG-ALICE Demo 20" in demo.stdout
    assert "partner@demo.example" in demo.stdout
    assert "nothing changed" in run(["demo"], env).stdout
    chat = run(["chat", "--user", "partner@demo.example"], env, stdin="me\ntimezone\n6\nquit\n")
    assert chat.returncode == 0, chat.stderr
    assert "Sokha Partner <partner@demo.example>" in chat.stdout
    assert "partner in SIG-ALICE Demo 20" in chat.stdout
    assert "your time zone is now Asia/Phnom_Penh (Phnom Penh time)" in chat.stdout


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env=environment(env),
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _read_until(stream, expected: str) -> str:  # type: ignore[no-untyped-def]
    seen = ""
    while expected not in seen:
        line = stream.readline()
        assert line, f"process ended before printing {expected!r}; got {seen!r}"
        seen += line
    return seen


def test_a_conversation_survives_kill_9(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db", "PROGRAMS_DIR": str(PROGRAMS_DIR)}
    first = _start(["chat", "--user", "coach2@demo.example"], env)
    first.stdin.write("timezone\n")
    first.stdin.flush()
    _read_until(first.stdout, "Pick your time zone")
    first.kill()  # SIGKILL: no clean-up of any kind
    first.wait(timeout=30)
    second = run(["chat", "--user", "coach2@demo.example"], env, stdin="Phnom Penh\nquit\n")
    assert "your time zone is now Asia/Phnom_Penh (Phnom Penh time)" in second.stdout


def test_the_server_stops_cleanly_on_sigterm(tmp_path: Path, unused_tcp_port: int):
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db",
        "PROGRAMS_DIR": str(PROGRAMS_DIR),
        "PORT": str(unused_tcp_port),
    }
    server = _start(["serve"], env)
    _read_until(server.stderr, "serving on port")
    server.terminate()
    assert server.wait(timeout=30) == 0
    assert "stopping" in server.stderr.read()


def test_cohorts_create_checks_the_program_region_and_name(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db", "PROGRAMS_DIR": str(PROGRAMS_DIR)}
    assert run(["db", "upgrade"], env).returncode == 0
    network = "mentorship-coordinator-network"
    refusals = [
        (["nowhere", "--starts", "2027-09-01"], "there is no program 'nowhere'; the programs are: "),
        ([network, "--starts", "2027-09-01"], "runs one cohort per region: give --region (one of: Northeast, "),
        ([network, "--starts", "2027-09-01", "--region", "atlantis"], "has no region 'atlantis'. Its regions are"),
        (["aahsl-coaching-pilot", "--starts", "2027-09-01", "--region", "west"], "has no regions: leave out --region"),
        ([network, "--starts", "1 September", "--region", "west"], "--starts must be a date written YYYY-MM-DD"),
    ]
    for args, error in refusals:
        result = run(["cohorts", "create", *args], env)
        assert result.returncode == 2 and error in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    created = run(["cohorts", "create", network, "--starts", "2027-11-01", "--region", "West"], env)
    assert created.returncode == 0, created.stderr
    assert "Created Coordinator network 2027-28 West, from 1 November 2027 to 31 August 2028." in created.stdout
    assert "Call for mentors and mentees (call) [applications]: 1 September to 15 October 2027" in created.stdout
    again = run(
        ["cohorts", "create", network, "--starts", "2028-11-01", "--region", "west", "--name", "2027-28 West"], env
    )
    assert again.returncode == 2 and "has a cohort named '2027-28 West' already. Nothing was created." in again.stderr
    rows = (
        sqlite3.connect(tmp_path / "c.db").execute("select name, region_id, starts_on, ends_on from cohorts").fetchall()
    )
    assert rows == [("2027-28 West", "west", "2027-11-01", "2028-08-31")]
    past = run(["cohorts", "create", "alcts", "--starts", "2019-06-01"], env)
    assert past.returncode == 2 and "1 June 2019 has passed: a new cohort starts on a day to come" in past.stderr


def test_cohorts_create_prints_the_dated_calendar_with_the_deadlines_hour_and_zone(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db", "PROGRAMS_DIR": str(PROGRAMS_DIR)}
    created = run(["cohorts", "create", "aahsl-coaching-pilot", "--starts", "2027-09-01"], env)
    assert created.returncode == 0, created.stderr
    assert "alembic" not in created.stdout + created.stderr  # no migration lines in between
    assert created.stdout.splitlines() == [
        "Created AAHSL 2027-28, from 1 September 2027 to 30 April 2028.",
        "Its calendar:",
        "  Call for applications (call) [applications]: 1 July to 26 August 2027, closing 26 August 2027 at 23:59 "
        "Pacific Time",
        "  Selection and announcement of participants (selection): 27 August to 30 September 2027",
        "  Peer-coaching group sessions (peer-groups) [peer groups]: 1 September 2027 to 31 March 2028",
        "  The coaching program (program) [the working period: check-ins]: 1 September 2027 to 30 April 2028",
        "  One-to-one coaching sessions (sessions) [one-to-one sessions]: 1 October 2027 to 30 April 2028",
        "  Final evaluation for NNLM and AAHSL (final-evaluation) [survey: Final evaluation of the coaching program "
        "(for NNLM and AAHSL)]: 1 April to 30 April 2028",
    ]
    sig_alice = run(["cohorts", "create", "iatul-sig-alice", "--starts", "2027-06-01"], env)
    assert "  Call for coaches and partners (call) [applications]: 1 April to 22 April 2027" in sig_alice.stdout
    assert (
        "  The one-year partnership (partnership) [the working period: check-ins, one-to-one sessions]: 1 June "
        "2027 to 31 May 2028" in sig_alice.stdout
    )


def test_translations_lists_nothing_missing_for_the_shipped_catalog():
    result = run(["translations"], {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(r"[1-9]\d{3} sentences, 0 without a fitting Khmer translation\n", result.stdout)
