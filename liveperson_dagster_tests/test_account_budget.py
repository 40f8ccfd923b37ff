"""One request budget per account across the runs of a machine: LIVEPERSON_MAX_CONCURRENT_REQUESTS is the total of
requests in flight to the account, however many runs are going (liveperson/slots.py)."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading

import pytest

from liveperson_dagster.liveperson import HttpSettings, LivePersonClient, LivePersonConfigError, Window
from liveperson_dagster.liveperson.errors import LivePersonWaitTimeout
from liveperson_dagster.liveperson.slots import AccountLimiter, RequestSlots
from liveperson_dagster.resources import credentials_resource
from liveperson_dagster.config import ProjectSettings, SettingsError, connection_from_env, secret_variables_set

from .helpers import (
    CONVERSATIONS, FAST_HTTP, PROJECT_ROOT, cli_env, connection_for, conversation_ids, expected_ids, start_materialize,
    stop_group, tail, utc_window, wait_until,
)

ACCOUNT = "13350576"


# The slot set

def test_threads_with_files_of_their_own_hold_at_most_the_count_and_all_of_it(tmp_path):
    count, threads = 3, 6
    # Holders wait for each other in groups of `count` while they hold: a group forms only if `count` slots can be
    # held at once, and a holder beyond the count would be seen. Each thread holds once: with more rounds the last
    # holds could fall to fewer than `count` threads, which can never form a group.
    group = threading.Barrier(count, timeout=30)
    lock = threading.Lock()
    holding, most, numbers, failures = set(), [0], set(), []

    def worker():
        slots = RequestSlots(ACCOUNT, count, str(tmp_path))  # each take opens its own files anyway
        try:
            with slots.hold() as number:
                with lock:
                    assert number not in holding
                    holding.add(number)
                    numbers.add(number)
                    most[0] = max(most[0], len(holding))
                group.wait()
                with lock:
                    holding.discard(number)
                group.wait()  # nobody releases before the whole group has been counted
        except BaseException as error:  # noqa: BLE001 - reported by the test's thread
            failures.append(error)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert not failures, failures
    assert most[0] == count and numbers == set(range(count))


HOLDER = """
import sys
from liveperson_dagster.liveperson.slots import RequestSlots
from liveperson_dagster.resources import credentials_resource
from liveperson_dagster.config import ProjectSettings, SettingsError, connection_from_env, secret_variables_set
slot = RequestSlots(sys.argv[1], int(sys.argv[2]), sys.argv[3]).take()
print(slot.number, flush=True)
sys.stdin.read()
"""


def _holder(parent, count: int, account: str = ACCOUNT) -> tuple:
    """A process that takes a slot and keeps it until its stdin closes or it is killed; (process, slot number)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", HOLDER, account, str(count), str(parent)], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def test_processes_share_the_slots_and_a_killed_holder_frees_its_slot(tmp_path):
    slots = RequestSlots(ACCOUNT, 2, str(tmp_path))
    first, first_number = _holder(tmp_path, 2)
    second, second_number = _holder(tmp_path, 2)
    try:
        assert {first_number, second_number} == {0, 1}
        assert slots.try_take() is None
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        freed = slots.try_take()
        assert freed is not None and freed.number == first_number
        freed.release()
    finally:
        for process in (first, second):
            process.kill()
            process.wait(timeout=30)
    assert slots.try_take() is not None


def test_a_wait_for_a_slot_says_which_process_holds_them_and_gives_up_naming_the_setting(tmp_path, caplog):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    slots = RequestSlots(ACCOUNT, 1, str(tmp_path), sleep=sleep, clock=lambda: now[0], timeout_seconds=100,
                         timeout_setting="LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS", report_every_seconds=30)
    holder, _ = _holder(tmp_path, 1)
    try:
        with caplog.at_level("WARNING", logger="liveperson_dagster.liveperson.slots"):
            with pytest.raises(LivePersonWaitTimeout) as raised:
                slots.take()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    where = f"one of the 1 request slots of the account in {tmp_path / ACCOUNT}: held by pid {holder.pid} (1 slot)"
    assert str(raised.value) == (f"Gave up after 100 s waiting for {where}. Stop the process(es) holding them, or "
                                 f"raise LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS (now 100)")
    waits = [record.getMessage() for record in caplog.records]
    assert len(waits) == 3  # at 30, 60 and 90 s: none for a short wait
    assert waits[0].startswith("Waiting 30") and waits[0].endswith(
        f"s so far for {where}; giving up after 100 s (LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS)")
    assert now[0] == 100  # the last pause ends at the deadline, not beyond
    freed = slots.try_take()  # the killed holder's slot is free, and its pid is not blamed any more
    assert freed is not None and slots.holders() == f"pid {os.getpid()} (this process) (1 slot)"
    freed.release()
    assert slots.holders() == "a process that did not say (1 slot)"


def test_the_slot_timeout_setting_reaches_the_client_and_fails_its_request_naming_it(emulator, tmp_path):
    variables = {**emulator.env(), "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path),
                 "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "1", "LIVEPERSON_REQUEST_TIMEOUT_SECONDS": "0.5",
                 "LIVEPERSON_MAX_CONCURRENT_REQUESTS": "1"}
    settings = ProjectSettings.from_env(variables)
    from_resource = credentials_resource(settings, secret_variables_set(variables)).connection()
    for connection in (from_resource, connection_from_env(variables), connection_from_env(variables, http=FAST_HTTP)):
        assert connection.http.request_slot_timeout_seconds == 1
    holder, _ = _holder(tmp_path, 1, settings.account_id)
    try:
        client = LivePersonClient(from_resource)  # one slot, as the setting says
        with pytest.raises(LivePersonWaitTimeout, match=f"held by pid {holder.pid} .* raise "
                                                        "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS \\(now 1\\)$"):
            list(client.search_conversations(Window(*utc_window("2026-11-03")), ("summary",)))
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert emulator.stats["requests"].get("search", 0) == 0  # nothing was sent without a slot
    with pytest.raises(SettingsError, match="^LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS='inf' is invalid: expected a "
                                            "number of seconds from 1 to 86400$"):
        ProjectSettings.from_env({"LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "inf"})


def test_each_account_has_its_own_private_slots_under_the_temp_dir_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    accounts = ["123", "1234", "1/2", "1%2F2", "..", "ab c"]
    taken = []
    for account in accounts:
        slots = RequestSlots(account, 1)
        assert slots.directory.parent == tmp_path / "liveperson-request-slots"
        taken.append(slots.try_take())  # no account's slot is taken by another's
    assert all(taken)
    directories = {path for path in (tmp_path / "liveperson-request-slots").iterdir()}
    assert len(directories) == len(accounts)
    assert (tmp_path / "liveperson-request-slots" / "123" / "slot-0").exists()
    for path in [tmp_path / "liveperson-request-slots", *directories, *(d / "slot-0" for d in directories)]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path  # the user's alone
    for slot in taken:
        slot.release()


def test_slots_that_cannot_be_used_are_refused_naming_the_setting(emulator, tmp_path):
    (tmp_path / "file").write_text("")
    http = HttpSettings(**{**FAST_HTTP.__dict__, "request_slots_dir": str(tmp_path / "file")})
    with pytest.raises(LivePersonConfigError, match="LIVEPERSON_REQUEST_SLOTS_DIR"):
        LivePersonClient(connection_for(emulator, http=http))
    if os.geteuid() != 0:
        return  # only root can give a directory to another user
    theirs = tmp_path / "theirs"
    (theirs / emulator.credentials["account_id"]).mkdir(parents=True)
    os.chown(theirs / emulator.credentials["account_id"], 65534, 65534)
    http = HttpSettings(**{**FAST_HTTP.__dict__, "request_slots_dir": str(theirs)})
    with pytest.raises(LivePersonConfigError, match="belongs to another user .*LIVEPERSON_REQUEST_SLOTS_DIR"):
        LivePersonClient(connection_for(emulator, http=http))


def test_the_setting_reaches_every_client_and_a_file_is_refused_when_the_definitions_load(emulator, tmp_path):
    variables = {**emulator.env(), "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "slots")}
    settings = ProjectSettings.from_env(variables)
    from_resource = credentials_resource(settings, secret_variables_set(variables)).connection()
    for connection in (from_resource, connection_from_env(variables), connection_from_env(variables, http=FAST_HTTP)):
        assert connection.http.request_slots_dir == str(tmp_path / "slots")
    (tmp_path / "file").write_text("")
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({"LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "file" / "slots")})
    assert str(raised.value) == (
        f"LIVEPERSON_REQUEST_SLOTS_DIR={str(tmp_path / 'file' / 'slots')!r} is invalid: expected a directory path "
        f"in a writable directory (created if missing), but {tmp_path / 'file'} is a file, not a directory")


def test_a_run_waiting_out_a_429_holds_no_slot_of_the_machine(tmp_path):
    slots = RequestSlots(ACCOUNT, 1, str(tmp_path))
    now, free_while_waiting = [100.0], []

    def sleep(seconds):
        other = slots.try_take()
        free_while_waiting.append(other is not None)
        if other:
            other.release()
        now[0] += seconds

    limiter = AccountLimiter(1, clock=lambda: now[0], sleep=sleep, slots=slots)
    limiter.pause(5)
    with limiter.slot():
        assert slots.try_take() is None  # the request holds the one slot
    assert free_while_waiting == [True] and now[0] == 105.0


# Runs sharing the budget

def test_two_clients_of_one_process_share_the_budget(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=500, latency_ms=50)
    http = HttpSettings(**{**FAST_HTTP.__dict__, "max_concurrent_requests": 2, "request_slots_dir": str(tmp_path)})
    days = ["2026-11-02", "2026-11-03"]
    found, failures = {}, []

    def fetch(day):
        try:
            client = LivePersonClient(connection_for(emulator, http=http))
            found[day] = {r["info"]["conversationId"] for page in
                          client.search_conversations(Window(*utc_window(day)), ("summary",)) for r in page}
        except BaseException as error:  # noqa: BLE001 - reported by the test's thread
            failures.append(error)

    with emulator.holding("search"):
        threads = [threading.Thread(target=fetch, args=(day,), daemon=True) for day in days]
        for thread in threads:
            thread.start()
        wait_until(lambda: failures or emulator.stats["requests"].get("search", 0) >= 2, 60,
                   "both clients' first pages in flight")
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()], "a fetch did not end within 60 s"
    assert not failures, failures
    for day in days:
        assert found[day] == emulator.conversation_ids(*utc_window(day))
    assert emulator.stats["requests"]["search"] >= 10
    assert emulator.stats["max_in_flight"] == 2


DAYS = ("2026-11-02", "2026-11-04", "2026-11-06")
BUDGET = 2


@pytest.mark.parametrize("shared", [True, False], ids=["one-slot-dir", "control-a-slot-dir-per-run"])
def test_cli_runs_started_together_stay_within_the_account_budget(start_emulator, tmp_path, shared):
    """Three `dagster asset materialize` commands for three days at once, each into its own DuckDB file (so no
    writer lock orders them), with LIVEPERSON_MAX_CONCURRENT_REQUESTS=2: the account never has more than 2 requests
    in flight. The control gives each run a slot dir of its own, as runs on separate machines would have: then it
    has more, so the measurement can see an excess."""
    emulator = start_emulator(conversations_per_day=500, latency_ms=150)
    base = cli_env(emulator, tmp_path / "unused.duckdb", tmp_path / "home",
                   LIVEPERSON_MAX_CONCURRENT_REQUESTS=str(BUDGET))
    (tmp_path / "tmp").mkdir()
    runs = []
    try:
        # Each run's first page of the search waits in the emulator until two are in flight together (only two can
        # be: each run has one first page, and with a shared budget the third waits for a slot). Then the runs
        # fetch their remaining pages, 2 at a time each, all at once.
        with emulator.holding("search"):
            for number, day in enumerate(DAYS):
                # Shared: the default slot dir, in the temp dir the runs share. Control: a dir per run.
                slots = ({"TMPDIR": str(tmp_path / "tmp")} if shared
                         else {"LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / f"slots-{number}")})
                env = {**base, "LIVEPERSON_DUCKDB_PATH": str(tmp_path / f"warehouse-{day}.duckdb"), **slots}
                log = tmp_path / f"{day}.log"
                runs.append((day, start_materialize(env, log, "--select", CONVERSATIONS, "--partition", day), log))

            def two_first_pages_in_flight():
                for day, process, log in runs:
                    if process.poll() is not None:
                        raise AssertionError(f"run of {day} ended ({process.returncode}) before its search{tail(log)}")
                return emulator.stats["requests"].get("search", 0) >= 2

            wait_until(two_first_pages_in_flight, 240, "two runs' first search pages in flight")
        for day, process, log in runs:
            process.wait(timeout=240)
            assert process.returncode == 0, tail(log)
    finally:
        for _, process, _ in runs:
            stop_group(process)
    for day, _, _ in runs:
        assert conversation_ids(tmp_path / f"warehouse-{day}.duckdb") == expected_ids(emulator, day, day)
    stats = emulator.stats.snapshot()
    assert stats["requests"]["search"] >= 5 * len(DAYS)  # several pages each
    if shared:
        assert stats["max_in_flight"] == BUDGET
    else:
        assert stats["max_in_flight"] > BUDGET
