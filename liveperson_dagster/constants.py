"""Names the project's modules share: the pool, the asset groups, the jobs and the run tags Dagster reads."""

# Runs that call LivePerson and write the warehouse share this pool; its limit is set in the Dagster instance.
POOL = "liveperson"

GROUP = "liveperson"
OPERATIONS_GROUP = "liveperson_operations"
# The dbt models built on the tables (marts.py) and the report on them.
MARTS_GROUP = "liveperson_marts"

DAILY_JOB_NAME = "liveperson_daily"
OPERATIONS_JOB_NAME = "liveperson_operations_hourly"
UPDATES_JOB_NAME = "liveperson_conversation_updates"
MARTS_JOB_NAME = "liveperson_marts_refresh"

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
RUN_KEY_TAG = "dagster/run_key"
