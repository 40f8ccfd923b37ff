"""Credentials through the real `dagster asset materialize`: wrong or missing ones fail the run within seconds,
naming the variables, without a retry storm; and no credential, bearer token or OAuth1 signature is written
anywhere by Dagster or dlt (instance storage, compute logs, dlt working dirs, ~/.dlt, the warehouse, stdout/err).

The runs are made once per module (each test asks for the ones it needs), so the final scan sees all of them."""

from pathlib import Path

import pytest

from liveperson_emulator import Emulator, EmulatorConfig

from .helpers import (
    CONVERSATIONS, FIRST_DAY, LAST_DAY, cli_env, expected_ids, jobs, kill_group, load_packages, run_materialize, scan,
    secret_needles, start_materialize, utc_window, wait_until, warehouse_contents,
)

OAUTH1_VARIABLES = ("LIVEPERSON_APP_KEY", "LIVEPERSON_APP_SECRET", "LIVEPERSON_ACCESS_TOKEN",
                    "LIVEPERSON_ACCESS_TOKEN_SECRET")
OAUTH2_VARIABLES = ("LIVEPERSON_CLIENT_ID", "LIVEPERSON_CLIENT_SECRET")
WRONG_APP_SECRET = "5e" * 16        # same shape as a real secret; must not be written anywhere either
WRONG_CLIENT_SECRET = "c1" * 24
DAY = {"oauth1": "2026-11-03", "oauth2": "2026-11-04", "killed": "2026-11-05"}


class CliLab:
    """One emulator and one DAGSTER_HOME for the module; temp dir and HOME of the commands owned by the test."""

    def __init__(self, root: Path, emulator: Emulator):
        self.root, self.emulator = root, emulator
        self.temp_dir, self.user_home = root / "tmp", root / "user_home"
        self.temp_dir.mkdir()
        self.user_home.mkdir()
        self.warehouse = root / "warehouse.duckdb"
        self.results = {}

    def env(self, home: Path, oauth2: bool = False, **changes) -> dict:
        env = cli_env(self.emulator, self.warehouse, home, TMPDIR=str(self.temp_dir), HOME=str(self.user_home))
        for name in OAUTH1_VARIABLES + OAUTH2_VARIABLES:
            env.pop(name, None)
        env.update(self.emulator.env(oauth2=oauth2))
        for name, value in changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(self, name: str) -> dict:
        """Runs scenario `name` once: {code, output, seconds, requests (served during it), stats (after)}."""
        if name not in self.results:
            before = self.emulator.stats.snapshot()
            env, args = SCENARIOS[name](self)
            code, output, seconds = run_materialize(env, self.root / f"{name}.log", *args)
            after = self.emulator.stats.snapshot()
            requests = {k: v - before["requests"].get(k, 0) for k, v in after["requests"].items()
                        if v != before["requests"].get(k, 0)}
            self.results[name] = {"code": code, "output": output, "seconds": seconds, "requests": requests,
                                  "events": {k: after[k] - before[k] for k in
                                             ("oauth1_rejected", "bearer_rejected", "tokens_issued")}}
        return self.results[name]


def _partition(day: str) -> tuple:
    return ("--select", CONVERSATIONS, "--partition", day)


SCENARIOS = {
    "oauth1": lambda lab: (lab.env(lab.root / "home"), _partition(DAY["oauth1"])),
    # Every asset of the group: the secret scan covers each API's requests, logs and tables.
    "oauth2": lambda lab: (lab.env(lab.root / "home", oauth2=True),
                           ("--select", "group:liveperson", "--partition", DAY["oauth2"])),
    "wrong_oauth1_secret": lambda lab: (lab.env(lab.root / "home", LIVEPERSON_APP_SECRET=WRONG_APP_SECRET),
                                        _partition(DAY["oauth1"])),
    "wrong_oauth2_secret": lambda lab: (lab.env(lab.root / "home", oauth2=True,
                                                LIVEPERSON_CLIENT_SECRET=WRONG_CLIENT_SECRET),
                                        _partition(DAY["oauth2"])),
    "missing_variables": lambda lab: (lab.env(lab.root / "home", LIVEPERSON_APP_SECRET=None,
                                              LIVEPERSON_ACCESS_TOKEN_SECRET=None), _partition(DAY["oauth1"])),
    "unknown_account": lambda lab: (lab.env(lab.root / "home", LIVEPERSON_ACCOUNT_ID="99999999"),
                                    _partition(DAY["oauth1"])),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    emulator = Emulator(EmulatorConfig(first_day=FIRST_DAY, last_day=LAST_DAY, conversations_per_day=300))
    emulator.start()
    try:
        yield CliLab(tmp_path_factory.mktemp("cli_lab"), emulator)
    finally:
        emulator.stop()


def assert_fails_fast(result: dict, *texts: str) -> None:
    assert result["code"] != 0, result["output"][-3000:]
    # The request counts the callers assert prove nothing was retried; this bounds the whole CLI command, whose own
    # start (about 10 s idle) took 32 s with the suite's three workers on two cores.
    assert result["seconds"] < 60, f"took {result['seconds']:.1f} s"
    assert "RUN_FAILURE" in result["output"] and "Materialization failed" in result["output"]
    for text in texts:
        assert text in result["output"], (text, result["output"][-3000:])


def test_oauth1_and_oauth2_runs_load_their_days(lab):
    for kind in ("oauth1", "oauth2"):
        result = lab.run(kind)
        assert result["code"] == 0, result["output"][-3000:]
    assert lab.results["oauth2"]["events"]["tokens_issued"] >= 1
    expected = [*expected_ids(lab.emulator, DAY["oauth1"], DAY["oauth1"]),
                *expected_ids(lab.emulator, DAY["oauth2"], DAY["oauth2"])]
    assert warehouse_contents(lab.warehouse)["ids"] == sorted(expected)


def test_wrong_oauth1_secret_fails_within_seconds_naming_the_variables(lab):
    result = lab.run("wrong_oauth1_secret")
    assert_fails_fast(result, "LivePersonAuthError", "not authenticated (HTTP 401)",
                      "check " + ", ".join(OAUTH1_VARIABLES) + " and LIVEPERSON_ACCOUNT_ID")
    # One refused search, not retried: a 401 is final.
    assert result["events"]["oauth1_rejected"] == 1
    assert result["requests"] == {"csds_all": 1, "search": 1}


def test_wrong_oauth2_secret_fails_within_seconds_naming_the_variables(lab):
    result = lab.run("wrong_oauth2_secret")
    assert_fails_fast(result, "LivePersonAuthError", "not authenticated (HTTP 401)",
                      "check LIVEPERSON_CLIENT_ID, LIVEPERSON_CLIENT_SECRET and LIVEPERSON_ACCOUNT_ID")
    # One refused token request, not retried; no search was sent without a token.
    assert result["events"]["tokens_issued"] == 0 and result["events"]["bearer_rejected"] == 0
    assert result["requests"] == {"csds_all": 1, "token": 1}


def test_missing_variables_fail_before_any_request_naming_them(lab):
    result = lab.run("missing_variables")
    assert_fails_fast(result, "LivePersonConfigError", "incomplete LivePerson credentials",
                      "missing: LIVEPERSON_APP_SECRET, LIVEPERSON_ACCESS_TOKEN_SECRET",
                      "missing: LIVEPERSON_CLIENT_ID, LIVEPERSON_CLIENT_SECRET")
    assert result["requests"] == {}


def test_unknown_account_fails_within_seconds_naming_the_variable(lab):
    result = lab.run("unknown_account")
    assert_fails_fast(result, "LivePersonConfigError", "does not know account '99999999'", "LIVEPERSON_ACCOUNT_ID")
    assert result["requests"] == {"csds_all": 1}


def kill_during_load(lab, home: Path) -> None:
    """An OAuth2 run killed while loading, so that its dlt working dir (load package, state, schemas) is left for
    the scan: a finished run deletes it."""
    env = lab.env(home, oauth2=True, NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS="50", LOAD__WORKERS="1")
    log = lab.root / "killed.log"
    process = start_materialize(env, log, *_partition(DAY["killed"]))
    try:
        wait_until(lambda: [p for p in load_packages(lab.temp_dir, "normalized") if jobs(p, "completed_jobs")],
                   180, "a load package being loaded", interval=0.01, process=process, log=log)
    finally:
        kill_group(process)
    lab.results["killed"] = {"output": log.read_text(errors="replace")}


def test_nothing_dagster_or_dlt_wrote_contains_a_secret(lab):
    for name in SCENARIOS:
        lab.run(name)
    kill_during_load(lab, lab.root / "home_killed")  # its own instance: the killed run keeps its pool slot
    # Whatever dlt put in the user's ~/.dlt lands in the commands' HOME, which is under lab.root.
    needles = secret_needles(lab.emulator, {"wrong app_secret": WRONG_APP_SECRET,
                                            "wrong client_secret": WRONG_CLIENT_SECRET})
    assert any(name.startswith("bearer token") for name in needles), "the OAuth2 runs got no token"
    texts = {f"output of {name}": result["output"] for name, result in lab.results.items()}
    found, files = scan([lab.root], texts, needles)
    leaks = {name: places for name, places in found.items() if places}
    assert leaks == {}

    # The scan reads what it should (it can fail): the error and the data are where a leak would be.
    conversation_id = expected_ids(lab.emulator, DAY["oauth1"], DAY["oauth1"])[0]
    killed_id = expected_ids(lab.emulator, DAY["killed"], DAY["killed"])[0]
    chat_id = min(lab.emulator.chat_engagement_ids(*utc_window(DAY["oauth2"])))
    controls, _ = scan([lab.root], {}, {"error": "OAuth1 verification failed", "row": conversation_id,
                                        "killed row": killed_id, "chat row": chat_id})
    assert any("(sqlite rows)" in place for place in controls["error"]), controls["error"]
    assert any("(duckdb rows)" in place for place in controls["row"]), controls["row"]
    assert any("(duckdb rows)" in place for place in controls["chat row"]), controls["chat row"]
    assert any("(parquet rows)" in place and "liveperson-dlt-" in place for place in controls["killed row"]), \
        controls["killed row"]
    assert any(p.name == "compute_logs" for p in (lab.root / "home").rglob("*")) and files > 20, files


def test_debug_python_logs_do_not_leak_oauth1_credentials(lab, tmp_path):
    # Outside lab.root, so that the module's scan is not about this configuration.
    (tmp_path / "tmp").mkdir()
    (tmp_path / "user_home").mkdir()
    home = tmp_path / "home"
    env = lab.env(home, TMPDIR=str(tmp_path / "tmp"), HOME=str(tmp_path / "user_home"),
                  LIVEPERSON_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"))
    with open(home / "dagster.yaml", "a") as config:
        config.write("python_logs:\n  python_log_level: DEBUG\n"
                     "  managed_python_loggers: [root, urllib3, requests_oauthlib, oauthlib, dlt]\n")
    code, output, _ = run_materialize(env, tmp_path / "debug.log", *_partition(DAY["oauth1"]))
    assert code == 0, output[-3000:]
    found, _ = scan([tmp_path], {}, secret_needles(lab.emulator))
    assert {name: places for name, places in found.items() if places} == {}
