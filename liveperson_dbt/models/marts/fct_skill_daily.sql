{{ config(
    materialized="incremental",
    incremental_strategy="append",
    on_schema_change="append_new_columns",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- One row per day and latest skill of the day's conversations; -1 (unassigned) is a row of its own.
select
    account_name,
    account_id,
    day,
    latest_skill_id as skill_id,
    cast(count(*) as bigint) as conversations,
    cast(sum(case when status = 'CLOSE' then 1 else 0 end) as bigint) as closed,
    cast(avg(duration_seconds) as double precision) as avg_duration_seconds,
    cast(percentile_cont(0.5) within group (order by first_response_seconds) as double precision)
        as median_first_response_seconds,
    cast(avg(case when csat >= 1 then cast(csat as double precision) end) as double precision) as avg_csat,
    cast(sum(transfer_count) as bigint) as transfers,
    cast(avg(case when within_service_level then 1.0 when not within_service_level then 0.0 end)
         as double precision) as service_level_share,
    cast(sum(case when abandoned then 1 else 0 end) as bigint) as abandoned,
    cast(percentile_cont(0.5) within group (order by first_response_business_seconds) as double precision)
        as median_first_response_business_seconds
from {{ ref("fct_conversations") }}
where {{ day_in_window("day") }}
group by account_name, account_id, day, latest_skill_id
