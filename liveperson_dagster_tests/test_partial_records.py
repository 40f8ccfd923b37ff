"""Partial records (`info.isPartial`) are never loaded silently: completed by the search by ids, else flagged,
counted in the materialization and warned about by the `complete_records` check."""

from math import ceil

from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, AssetSelection, DagsterInstance, materialize

from liveperson_dagster.liveperson import LivePersonClient, RequestStats, Window
from liveperson_dagster.liveperson import api_constants
from liveperson_dagster.liveperson.client import completed
from liveperson_dagster.liveperson.columnar import conversation_tables

from .helpers import ACCOUNT_CONFIG, assets_of, connection_for, project_checks, query, resources_for, utc_window

DAY = "2026-11-03"
ONE_DAY = {"dagster/asset_partition_range_start": DAY, "dagster/asset_partition_range_end": DAY}
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
CHECKED = [AssetKey(["liveperson", table]) for table in (*ACCOUNT_CONFIG, "conversations")]
COMPLETE = AssetCheckKey(CONVERSATIONS, "complete_records")
PARTS = ("messageRecords", "messageStatuses")


def ids(records) -> list:
    return [record["info"]["conversationId"] for record in records]


def load_day(emulator, database, instance=None):
    """The configuration and the conversations of DAY in one run, with their checks."""
    result = materialize([*assets_of(*ACCOUNT_CONFIG, "conversations"), *project_checks()],
                         resources=resources_for(emulator, database), instance=instance or DagsterInstance.ephemeral(),
                         tags=ONE_DAY, selection=AssetSelection.assets(*CHECKED))
    assert result.success
    return result


def conversation_metadata(result) -> dict:
    (materialization,) = [event.materialization for event in result.get_asset_materialization_events()
                          if event.materialization.asset_key == CONVERSATIONS]
    return {name: entry.value for name, entry in materialization.metadata.items()}


def checks_of(result) -> dict:
    return {evaluation.asset_check_key: evaluation for evaluation in result.get_asset_check_evaluations()}


def messages_per_conversation(database) -> dict:
    return dict(query(database, "select c.conversation_id, count(m._dlt_id) from liveperson.conversations c "
                                "left join liveperson.conversations__message_records m on m._dlt_parent_id = c._dlt_id "
                                "group by 1"))


def flags(database) -> dict:
    return dict(query(database, "select conversation_id, is_partial from liveperson.conversations"))


def whole_day(emulator, day: str = DAY) -> list:
    """The day's full records, each with at least two messages (its partial serving then lacks one)."""
    return [record for record in emulator.conversations(*utc_window(day)) if len(record["messageRecords"]) >= 2]


def by_ids_requests(emulator) -> int:
    return emulator.stats["requests"].get("searchByIds", 0)


# Through the Dagster asset


def test_records_served_partial_once_are_completed_by_the_search_by_ids(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    partial = ids(whole_day(emulator)[:5])
    emulator.make_partial(partial, times=1)
    result = load_day(emulator, database)
    full = emulator.conversations(*utc_window(DAY))
    assert messages_per_conversation(database) == {r["info"]["conversationId"]: len(r["messageRecords"]) for r in full}
    assert flags(database) == {conversation_id: False for conversation_id in ids(full)}
    assert query(database, "select count(*) from liveperson.conversations where info__is_partial") == [(0,)]
    metadata = conversation_metadata(result)
    assert (metadata["partial_records_refetched"], metadata["partial_records_loaded"]) == (5, 0)
    assert by_ids_requests(emulator) == ceil(5 / api_constants.SEARCH_BY_IDS_BATCH_SIZE) == 1
    checks = checks_of(result)
    assert checks[COMPLETE].passed is True
    assert {name: entry.value for name, entry in checks[COMPLETE].metadata.items()} == {
        "partial_records": 0, "partial_records_sample": []}


def test_a_record_that_stays_partial_is_loaded_flagged_and_warned_about_until_a_reload_completes_it(
        emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    stubborn = whole_day(emulator)[0]
    stubborn_id = stubborn["info"]["conversationId"]
    emulator.make_partial([stubborn_id], times=None)
    instance = DagsterInstance.ephemeral()
    result = load_day(emulator, database, instance)
    day_ids = ids(emulator.conversations(*utc_window(DAY)))
    assert flags(database) == {conversation_id: conversation_id == stubborn_id for conversation_id in day_ids}
    # Loaded as last served: the first half of its messages.
    assert messages_per_conversation(database)[stubborn_id] == len(stubborn["messageRecords"]) // 2
    metadata = conversation_metadata(result)
    assert (metadata["partial_records_refetched"], metadata["partial_records_loaded"]) == (0, 1)
    assert by_ids_requests(emulator) == api_constants.PARTIAL_REFETCH_ATTEMPTS == 3
    checks = checks_of(result)
    warning = checks[COMPLETE]
    assert warning.passed is False and warning.severity == AssetCheckSeverity.WARN
    assert {name: entry.value for name, entry in warning.metadata.items()} == {
        "partial_records": 1, "partial_records_sample": [stubborn_id]}
    assert warning.description.startswith("1 conversation(s) loaded partial") and "re-load" in warning.description
    assert len(checks) == 3 + 4 + 4 and all(check.passed for key, check in checks.items() if key != COMPLETE)

    # Once LivePerson serves it whole (here: after one more partial serving), a re-load of the day completes it.
    emulator.make_partial([stubborn_id], times=1)
    again = load_day(emulator, database, instance)
    assert flags(database) == {conversation_id: False for conversation_id in day_ids}
    assert messages_per_conversation(database)[stubborn_id] == len(stubborn["messageRecords"])
    metadata = conversation_metadata(again)
    assert (metadata["partial_records_refetched"], metadata["partial_records_loaded"]) == (1, 0)
    assert all(check.passed for check in checks_of(again).values())


def test_more_than_a_hundred_partial_records_of_a_day_are_all_completed(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=130)
    database = tmp_path / "warehouse.duckdb"
    full = emulator.conversations(*utc_window(DAY))
    emulator.make_partial(ids(full), times=1)
    result = materialize(assets_of("conversations"), resources=resources_for(emulator, database), partition_key=DAY)
    assert result.success
    assert 100 < len(full) < 200  # conversations_per_day is an average
    assert messages_per_conversation(database) == {r["info"]["conversationId"]: len(r["messageRecords"]) for r in full}
    assert set(flags(database).values()) == {False}
    metadata = conversation_metadata(result)
    assert (metadata["partial_records_refetched"], metadata["partial_records_loaded"]) == (len(full), 0)
    # The day comes in two pages of the search (100 records at most each, its neighbours of the 10-minute rounding
    # left out): each page's partial records are asked for in one request.
    assert by_ids_requests(emulator) == ceil(len(full) / api_constants.SEARCH_BY_IDS_BATCH_SIZE) == 2


# The client and the completion step


def test_the_search_by_ids_asks_at_most_a_hundred_ids_per_request(start_emulator):
    emulator = start_emulator(conversations_per_day=80)
    window = utc_window("2026-11-03", "2026-11-04")
    full = emulator.conversations(*window)
    assert 100 < len(full) + 1 <= 200  # conversations_per_day is an average
    client = LivePersonClient(connection_for(emulator))
    asked = ids(full)[::-1] + ["no-such-conversation"]
    records = client.conversations_by_ids(asked, PARTS)
    assert ids(records) == ids(full)[::-1]
    assert records == [{key: record[key] for key in ("info", *PARTS)} for record in full[::-1]]
    assert by_ids_requests(emulator) == 2  # 100 ids, then the rest: the API refuses more than 100
    assert client.stats.count("pages") == 2
    # A page of over 100 partial records (two days of the search, joined) is completed with two requests, in its order.
    emulator.make_partial(ids(full), times=1)
    page = [record for records in client.search_conversations(Window(*window), PARTS) for record in records]
    assert ids(page) == ids(full) and all(record["info"]["isPartial"] for record in page)
    assert completed(client, page, PARTS) == [{key: record[key] for key in ("info", *PARTS)} for record in full]
    assert by_ids_requests(emulator) == 2 + 2
    assert (client.stats.count("partial_refetched"), client.stats.count("partial_remaining")) == (len(full), 0)


def record(conversation_id: str, partial, messages: int = 4) -> dict:
    info = {"conversationId": conversation_id, "startTimeL": 1_794_000_000_000}
    if partial is not None:
        info["isPartial"] = partial
    return {"info": info, "messageRecords": [{"seq": n} for n in range(messages // 2 if partial else messages)]}


class FakeClient:
    """Answers the search by ids from a script: per id, the records of its successive servings."""

    def __init__(self, servings: dict):
        self._servings = {key: list(values) for key, values in servings.items()}
        self.stats = RequestStats()
        self.asked = []

    def conversations_by_ids(self, conversation_ids, content_parts) -> list:
        assert content_parts == PARTS
        self.asked.append(list(conversation_ids))
        answer = [self._servings[key].pop(0) for key in conversation_ids if self._servings.get(key)]
        return answer[::-1]  # in another order than asked: positions come from the page, not the answer


def test_the_completion_keeps_the_order_and_stops_at_the_attempts():
    page = [record("a", False), record("b", True), record("c", None), record("d", True), record("e", True),
            record("f", True)]
    client = FakeClient({
        "b": [record("b", False)],  # whole at the first refetch
        "d": [record("d", True)] * 5,  # partial for good
        # "e" is absent from every answer (deleted meanwhile): kept as served, asked for once
        "f": [record("f", True), record("f", False)],  # whole at the second refetch
    })
    result = completed(client, page, PARTS)
    assert ids(result) == ["a", "b", "c", "d", "e", "f"]
    assert result == [page[0], record("b", False), page[2], record("d", True), page[4], record("f", False)]
    assert client.asked == [["b", "d", "e", "f"], ["d", "f"], ["d"]]
    assert len(client.asked) == api_constants.PARTIAL_REFETCH_ATTEMPTS
    assert (client.stats.count("partial_refetched"), client.stats.count("partial_remaining")) == (2, 2)
    assert conversation_tables(result)["conversations"].column("is_partial").to_pylist() == [
        False, False, False, True, True, False]
    # A page without partial records is returned as it is, without a request.
    whole = [record("a", False), record("c", None)]
    assert completed(client, whole, PARTS) is whole and len(client.asked) == 3


def test_is_partial_is_a_boolean_column_false_when_absent():
    assert [conversation_tables([record("x", flag)])["conversations"].column("is_partial").to_pylist()
            for flag in (True, "true", False, "false", None)] == [[True], [True], [False], [False], [False]]
