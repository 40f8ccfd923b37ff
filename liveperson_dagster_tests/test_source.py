"""The dlt source and its HTTP client against the emulator, over real HTTP."""

import logging
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dlt
import pendulum
import duckdb
import pytest

from liveperson_emulator import Faults
from liveperson_dagster.liveperson import (
    HttpSettings,
    LivePersonAuthError,
    LivePersonClient,
    LivePersonConfigError,
    LivePersonHTTPError,
    LivePersonIncompleteDataError,
    LivePersonUnsafeURLError,
    Window,
    liveperson_source,
)
from liveperson_dagster.config import connection_from_variables

from .helpers import FAST_HTTP, FIRST_DAY, connection_for, utc_window


def day_window(day: date, zone: str) -> Window:
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    following = day + timedelta(days=1)
    return Window(start, datetime(following.year, following.month, following.day, tzinfo=tz))


def fetched_ids(client: LivePersonClient, window: Window, parts=("messageRecords",)) -> list:
    return [r["info"]["conversationId"] for page in client.search_conversations(window, parts) for r in page]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "Europe/Paris", "America/St_Johns"])
def test_daily_windows_partition_a_range_with_no_overlap_and_no_gap(emulator, zone):
    client = LivePersonClient(connection_for(emulator))
    days = [FIRST_DAY + timedelta(days=n) for n in range(1, 6)]
    per_day = {}
    for day in days:
        window = day_window(day, zone)
        ids = fetched_ids(client, window)
        assert len(ids) == len(set(ids)), f"{day}: a conversation came twice"
        assert set(ids) == emulator.conversation_ids(window.start, window.end), day
        per_day[day] = set(ids)
    whole = Window(day_window(days[0], zone).start, day_window(days[-1], zone).end)
    union = set().union(*per_day.values())
    assert sum(len(ids) for ids in per_day.values()) == len(union)
    assert union == emulator.conversation_ids(whole.start, whole.end)
    # The API rounds the bounds outward to 10 minutes: each day's search also returned neighbours' conversations
    # (the emulator has conversations at midnight UTC, on 10-minute marks and at midnight of these zones).
    assert all(per_day.values())


def test_boundary_conversations_belong_to_exactly_one_day(emulator):
    client = LivePersonClient(connection_for(emulator))
    day = FIRST_DAY + timedelta(days=2)
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    at_midnight = {c["info"]["conversationId"] for c in emulator.conversations(midnight, midnight + timedelta(milliseconds=1))}
    assert at_midnight, "the emulator should start a conversation exactly at midnight UTC"
    assert at_midnight <= set(fetched_ids(client, day_window(day, "UTC")))
    assert not at_midnight & set(fetched_ids(client, day_window(day - timedelta(days=1), "UTC")))


def test_a_window_longer_than_three_months_is_split(start_emulator):
    emulator = start_emulator(first_day=date(2026, 1, 1), last_day=date(2026, 6, 30), conversations_per_day=2)
    client = LivePersonClient(connection_for(emulator))
    window = Window(*utc_window("2026-01-01", "2026-05-31"))
    ids = fetched_ids(client, window)
    assert len(ids) == len(set(ids))
    assert set(ids) == emulator.conversation_ids(window.start, window.end)
    assert len(window.slices()) == 5


def test_content_parts_are_a_setting(emulator):
    client = LivePersonClient(connection_for(emulator))
    window = day_window(FIRST_DAY, "UTC")
    records = [r for page in client.search_conversations(window, ("transfers",)) for r in page]
    assert records
    assert all("transfers" in r and "messageRecords" not in r for r in records)


def test_config_collections_are_typed_consistently(emulator, tmp_path):
    pipeline = dlt.pipeline("lp_config", pipelines_dir=str(tmp_path / "dlt"),
                            destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), dataset_name="lp")
    source = liveperson_source(connection_for(emulator)).with_resources("users", "skills", "agent_groups")
    pipeline.run(source, loader_file_format="parquet")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as db:
        for table, expected in (("users", emulator.users(include_deleted=True)),
                                ("skills", emulator.skills(include_deleted=True)),
                                ("agent_groups", emulator.agent_groups(include_deleted=True))):
            ids = sorted(row[0] for row in db.execute(f"select id from lp.{table}").fetchall())
            assert ids == sorted(int(r["id"]) for r in expected), table
        columns = dict(db.execute(
            "select column_name, data_type from information_schema.columns where table_schema='lp' and table_name='users'"
        ).fetchall())
        assert columns["deleted"] == "BOOLEAN" and columns["is_enabled"] == "BOOLEAN"
        assert columns["max_chats"] == "BIGINT"
        assert not [c for c in columns if "__v_" in c], "quoted values split a column into variants"
        deleted = {row[0] for row in db.execute("select id from lp.users where deleted").fetchall()}
    assert deleted == {int(u["id"]) for u in emulator.users(include_deleted=True) if str(u["deleted"]) == "true" or u["deleted"] is True}
    assert deleted


def test_plain_dlt_run_loads_one_row_per_conversation_with_child_tables(emulator, tmp_path):
    window = Window(*utc_window("2026-11-03", "2026-11-04"))
    database = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("lp_conv", pipelines_dir=str(tmp_path / "dlt"),
                            destination=dlt.destinations.duckdb(database), dataset_name="lp")
    dlt_logs = RecordsOf(logging.getLogger("dlt"))  # dlt's logger does not propagate to the root's
    with dlt_logs:
        for _ in range(2):  # a re-run merges, it does not duplicate
            pipeline.run(liveperson_source(connection_for(emulator), window).with_resources("conversations"),
                         loader_file_format="parquet")
    with duckdb.connect(database, read_only=True) as db:
        ids = [row[0] for row in db.execute("select conversation_id from lp.conversations").fetchall()]
        tables = {row[0] for row in db.execute(
            "select table_name from information_schema.tables where table_schema='lp'").fetchall()}
        start_type = db.execute("select data_type from information_schema.columns where table_schema='lp' "
                                "and table_name='conversations' and column_name='start_time'").fetchone()[0]
        messages = db.execute("select count(*) from lp.conversations__message_records").fetchone()[0]
    assert sorted(ids) == sorted(emulator.conversation_ids(window.start, window.end))
    assert {"conversations__message_records", "conversations__agent_participants",
            "conversations__consumer_participants"} <= tables
    assert start_type.startswith("TIMESTAMP")
    expected_messages = sum(len(c.get("messageRecords", [])) for c in emulator.conversations(window.start, window.end))
    assert messages == expected_messages
    # The JSON columns come as JSON text, which their `json` hint is meant to win over: no warning of it per item.
    assert dlt_logs.messages and not [message for message in dlt_logs.messages if "when merging arrow schema" in message]


class RecordsOf(logging.Handler):
    """The messages `logger` logs while the block runs."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(level=logging.DEBUG)
        self._logger, self._level, self.messages = logger, logger.level, []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self):
        self._logger.addHandler(self)
        self._logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)


def test_oauth2_client_credentials_get_and_use_a_bearer_token(emulator):
    client = LivePersonClient(connection_for(emulator, oauth2=True))
    window = day_window(FIRST_DAY, "UTC")
    assert set(fetched_ids(client, window)) == emulator.conversation_ids(window.start, window.end)
    assert len(emulator.issued_tokens()) == 1


FAULT_KINDS = [
    (Faults(rate_429_retry_after=0.3), "http_429"),
    (Faults(rate_429=0.3), "http_429"),
    (Faults(rate_5xx=0.3), "http_5xx"),
    (Faults(rate_partial=0.3), "partial"),
    (Faults(rate_drop=0.3), "connection"),
    (Faults(rate_truncated=0.3), "invalid_json"),
    (Faults(rate_slow=0.3, slow_seconds=1.0), "timeout"),
]


@pytest.mark.parametrize("faults,retry_kind", FAULT_KINDS, ids=[kind for _, kind in FAULT_KINDS])
def test_each_transient_fault_is_retried_and_the_data_is_exact(start_emulator, faults, retry_kind):
    emulator = start_emulator(faults=faults, conversations_per_day=150)
    http = HttpSettings(**{**FAST_HTTP.__dict__, "request_timeout_seconds": 0.5, "max_attempts": 10})
    client = LivePersonClient(connection_for(emulator, http=http))
    window = Window(*utc_window("2026-11-02", "2026-11-03"))
    ids = fetched_ids(client, window)
    assert len(ids) == len(set(ids))
    assert set(ids) == emulator.conversation_ids(window.start, window.end)
    assert client.stats.retries.get(retry_kind, 0) > 0, client.stats.retries


def test_retry_after_is_honoured_and_at_least_one_second(start_emulator):
    emulator = start_emulator(faults=Faults(rate_429_retry_after=0.5))
    waits = []
    http = HttpSettings(max_attempts=20, backoff_base_seconds=0.01, max_backoff_seconds=30,
                        min_rate_limit_wait_seconds=HttpSettings().min_rate_limit_wait_seconds)
    client = LivePersonClient(connection_for(emulator, http=http), sleep=waits.append)
    window = day_window(FIRST_DAY, "UTC")
    assert set(fetched_ids(client, window)) == emulator.conversation_ids(window.start, window.end)
    assert waits and all(wait >= 1.0 for wait in waits)


def test_a_fault_that_never_clears_raises_a_named_error_after_bounded_attempts(start_emulator):
    emulator = start_emulator(faults=Faults(always_503=True))
    client = LivePersonClient(connection_for(emulator))
    with pytest.raises(LivePersonHTTPError) as raised:
        fetched_ids(client, day_window(FIRST_DAY, "UTC"))
    message = str(raised.value)
    assert raised.value.status == 503
    assert "/conversations/search" in message and "after 6 attempts" in message
    assert "Service Unavailable" in message
    assert client.stats.retries == {"http_5xx": 5}


@pytest.mark.parametrize(
    "faults,error,words",
    [
        (Faults(next_loop=True), LivePersonIncompleteDataError, "repeats"),
        (Faults(count_inflation=3), LivePersonIncompleteDataError, "promised"),
        (Faults(always_truncated=True), LivePersonHTTPError, "not valid JSON"),
        (Faults(next_host="evil.example.com"), LivePersonUnsafeURLError, "evil.example.com"),
    ],
    ids=["next-loop", "count-never-fills", "truncated-body", "next-to-other-host"],
)
def test_broken_pagination_fails_loudly(start_emulator, faults, error, words):
    emulator = start_emulator(faults=faults, conversations_per_day=250)
    client = LivePersonClient(connection_for(emulator))
    with pytest.raises(error) as raised:
        fetched_ids(client, day_window(FIRST_DAY, "UTC"))
    assert words in str(raised.value)
    assert "/conversations/search" in str(raised.value)


def test_wrong_oauth1_secret_is_a_clear_error_without_retries(emulator):
    env = {**emulator.env(), "LIVEPERSON_APP_SECRET": "not-the-secret"}
    client = LivePersonClient(connection_from_variables(env, http=FAST_HTTP))
    with pytest.raises(LivePersonAuthError) as raised:
        list(client.fetch_collection("users"))
    assert raised.value.status == 401
    assert "LIVEPERSON_APP_SECRET" in str(raised.value) and "not-the-secret" not in str(raised.value)
    assert client.stats.count("requests") == 2  # CSDS, then the one refused call
    assert client.stats.retries == {}


def test_wrong_oauth2_secret_is_a_clear_error(emulator):
    env = {**emulator.env(oauth2=True), "LIVEPERSON_CLIENT_SECRET": "not-the-secret"}
    client = LivePersonClient(connection_from_variables(env, http=FAST_HTTP))
    with pytest.raises(LivePersonAuthError) as raised:
        list(client.fetch_collection("users"))
    assert "/sentinel/" in str(raised.value) and "LIVEPERSON_CLIENT_SECRET" in str(raised.value)


def test_unknown_account_names_the_setting(emulator):
    env = {**emulator.env(), "LIVEPERSON_ACCOUNT_ID": "999"}
    client = LivePersonClient(connection_from_variables(env, http=FAST_HTTP))
    with pytest.raises(LivePersonConfigError, match="LIVEPERSON_ACCOUNT_ID"):
        list(client.fetch_collection("users"))


def test_missing_credentials_name_the_missing_variables():
    with pytest.raises(LivePersonConfigError) as raised:
        connection_from_variables({"LIVEPERSON_ACCOUNT_ID": "1", "LIVEPERSON_APP_KEY": "k"})
    assert "LIVEPERSON_APP_SECRET" in str(raised.value) and "LIVEPERSON_CLIENT_SECRET" in str(raised.value)
    assert "LIVEPERSON_APP_KEY," not in str(raised.value).split("missing:")[1]


def test_plain_http_to_a_remote_host_is_refused_before_any_request(emulator):
    env = {**emulator.env(), "LIVEPERSON_CSDS_URL": "http://api.liveperson.net"}
    client = LivePersonClient(connection_from_variables(env, http=FAST_HTTP))
    with pytest.raises(LivePersonUnsafeURLError, match="LIVEPERSON_CSDS_URL"):
        list(client.fetch_collection("users"))
    assert client.stats.count("requests") == 0


def test_a_csds_answer_naming_a_foreign_http_host_is_refused_before_credentials_are_sent(start_emulator):
    emulator = start_emulator(faults=Faults(csds_host_override="attacker.example.net"))
    client = LivePersonClient(connection_for(emulator))
    with pytest.raises(LivePersonUnsafeURLError, match="attacker.example.net"):
        list(client.fetch_collection("users"))
    assert client.stats.count("requests") == 1  # CSDS only


def test_no_secret_appears_in_logs_or_errors(start_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    emulator = start_emulator(faults=Faults(rate_429=0.2, rate_5xx=0.2))
    texts = []
    for oauth2 in (False, True):
        client = LivePersonClient(connection_for(emulator, oauth2=oauth2))
        fetched_ids(client, day_window(FIRST_DAY, "UTC"))
        texts.append(repr(client) + repr(client.connection))
    emulator.set_faults(Faults(always_503=True))
    for oauth2 in (False, True):
        with pytest.raises(LivePersonHTTPError) as raised:
            fetched_ids(LivePersonClient(connection_for(emulator, oauth2=oauth2)), day_window(FIRST_DAY, "UTC"))
        texts += [str(raised.value), repr(raised.value)]
    captured = "\n".join(texts + [caplog.text])
    secrets = [v for k, v in emulator.credentials.items() if k not in ("account_id", "app_key", "client_id")]
    secrets += emulator.issued_tokens()
    assert emulator.issued_tokens()
    for secret in secrets:
        assert secret not in captured
    assert "oauth_signature" not in captured


def test_open_conversations_have_null_end_times_across_separate_runs(start_emulator, tmp_path):
    # The last days hold open conversations (endTime "undefined", endTimeL -1); each day is its own pipeline run
    # with a fresh working dir, as in Dagster.
    emulator = start_emulator(first_day=date(2026, 11, 1), last_day=date(2026, 11, 6), conversations_per_day=40)
    database = str(tmp_path / "w.duckdb")
    for offset in range(6):
        pipeline = dlt.pipeline("lp_open", pipelines_dir=str(tmp_path / f"dlt{offset}"),
                                destination=dlt.destinations.duckdb(database), dataset_name="lp")
        window = day_window(date(2026, 11, 1) + timedelta(days=offset), "UTC")
        pipeline.run(liveperson_source(connection_for(emulator), window).with_resources("conversations"),
                     loader_file_format="parquet")
    with duckdb.connect(database, read_only=True) as db:
        rows = db.execute("select conversation_id, status, end_time, info__end_time, info__end_time_l "
                          "from lp.conversations").fetchall()
        columns = {r[0] for r in db.execute("select column_name from information_schema.columns "
                                            "where table_schema='lp' and table_name='conversations'").fetchall()}
    open_ids = {c["info"]["conversationId"] for c in emulator.conversations(*utc_window("2026-11-01", "2026-11-06"))
                if c["info"]["status"] == "OPEN"}
    assert open_ids
    assert {r[0] for r in rows if r[1] == "OPEN"} == open_ids
    assert all(r[2] is None and r[3] is None and r[4] is None for r in rows if r[1] == "OPEN")
    assert all(r[2] is not None and r[3] is not None for r in rows if r[1] == "CLOSE")
    assert not [c for c in columns if "__v_" in c]


@pytest.mark.parametrize("ignores_offset", [False, True], ids=["pages", "endpoint-ignoring-offset"])
def test_config_collections_also_accept_data_pages_without_looping(start_emulator, ignores_offset):
    emulator = start_emulator(config_page_size=4, config_paging_ignores_offset=ignores_offset)
    client = LivePersonClient(connection_for(emulator))
    users = [user for page in client.fetch_collection("users") for user in page]
    expected = emulator.users(include_deleted=True)
    served = emulator.stats.snapshot()["requests"]["users"]
    assert [u["id"] for u in users] == [u["id"] for u in expected]
    if ignores_offset:
        # Every user in one `data` page that came back the same for the next offset: taken once, then stopped.
        assert served == 2
    else:
        assert served == -(-len(expected) // 4)


def test_an_expired_bearer_token_is_renewed_once_after_a_401(start_emulator):
    now = [1_800_000_000.0]
    emulator = start_emulator(clock=lambda: now[0], token_ttl_seconds=3600)
    client = LivePersonClient(connection_for(emulator, oauth2=True))
    window = day_window(FIRST_DAY, "UTC")
    assert set(fetched_ids(client, window)) == emulator.conversation_ids(window.start, window.end)
    now[0] += 7200  # the emulator's token expired; the client still believes it valid
    assert set(fetched_ids(client, window)) == emulator.conversation_ids(window.start, window.end)
    assert len(emulator.issued_tokens()) == 2
    assert client.stats.retries == {"token_renewal": 1}


def test_a_bearer_token_is_renewed_ahead_of_its_expiry(emulator):
    client = LivePersonClient(connection_for(emulator, oauth2=True))
    list(client.fetch_collection("skills"))
    auth = client._session().auth
    lifetime = (auth.token_expiry - pendulum.now()).total_seconds()
    assert 3600 - 60 - 5 < lifetime <= 3600 - 60
