{{ config(
    materialized="incremental",
    incremental_strategy="append",
    on_schema_change="append_new_columns",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- Seconds per day, agent and status, from the agents' status changes. A status lasts from its change to the
-- agent's next record (change, logout or login); the time between a logout and the next login counts for no
-- status. A status with no later record lasts to the end of its day (every record of the day is loaded with the
-- day, so there was none) or until now. Each interval is split at the day boundaries of LIVEPERSON_TIMEZONE. Only
-- loaded days (days with a status change of any agent) have rows, and a status carried into a day counts only when
-- the day before was loaded: otherwise the time before the agent's first record of the day is UNKNOWN.
{%- set days = window_days() %}
with recursive records as (
    select
        account_name,
        account_id,
        agent_id,
        changed_at,
        status_type,
        status,
        -- At the same instant: an old session's records (an offline change, its logout) before a login's (the login,
        -- then its default status: both session -1), each in sequence-number order.
        lead(changed_at) over (
            partition by account_name, agent_id
            order by changed_at, case when session_id = -1 then 1 else 0 end, sequence_number
        ) as next_changed_at
    from {{ ref("stg_agent_status_changes") }}
    {%- if days is not none %}
    where changed_at < {{ day_start("cast('" ~ days[1] ~ "' as date) + 1", "account_name") }}
    {%- endif %}
),

intervals as (
    select
        account_name,
        agent_id,
        status,
        changed_at as started_at,
        coalesce(
            next_changed_at,
            case when {{ day_start(day_of("changed_at", "account_name") ~ " + 1", "account_name") }} < current_timestamp
                 then {{ day_start(day_of("changed_at", "account_name") ~ " + 1", "account_name") }}
                 else current_timestamp end
        ) as ended_at
    from records
    where status_type = 1
),

bounds as (
    {%- if days is not none %}
    select account_name, cast('{{ days[0] }}' as date) as first_day, cast('{{ days[1] }}' as date) as last_day
    from ({{ accounts_rows() }}) as accounts
    {%- else %}
    select
        account_name,
        min({{ day_of("started_at", "account_name") }}) as first_day,
        max({{ day_of("ended_at", "account_name") }}) as last_day
    from intervals
    group by account_name
    {%- endif %}
),

days (account_name, day) as (
    select account_name, first_day from bounds where first_day is not null
    union all
    select days.account_name, cast(days.day + 1 as date)
    from days
    join bounds on bounds.account_name = days.account_name
    where days.day < bounds.last_day
),

loaded_days as (
    select distinct account_name, {{ day_of("changed_at", "account_name") }} as day from records
),

day_bounds as (
    select
        days.account_name,
        days.day,
        {{ day_start("days.day", "days.account_name") }} as day_start,
        {{ day_start("days.day + 1", "days.account_name") }} as day_end,
        previous.day is not null as follows_a_loaded_day
    from days
    join loaded_days on loaded_days.account_name = days.account_name and loaded_days.day = days.day
    left join loaded_days as previous
        on previous.account_name = days.account_name and previous.day = cast(days.day - 1 as date)
),

first_records as (
    select account_name, agent_id, {{ day_of("changed_at", "account_name") }} as day, min(changed_at) as first_at
    from records
    group by account_name, agent_id, {{ day_of("changed_at", "account_name") }}
),

pieces as (
    select
        day_bounds.account_name,
        day_bounds.day,
        intervals.agent_id,
        case when intervals.started_at < day_bounds.day_start and not day_bounds.follows_a_loaded_day
             then 'UNKNOWN' else intervals.status end as status,
        case when intervals.started_at > day_bounds.day_start then intervals.started_at
             else day_bounds.day_start end as piece_start,
        case when intervals.ended_at < day_bounds.day_end then intervals.ended_at
             else day_bounds.day_end end as piece_end
    from intervals
    join day_bounds
        on day_bounds.account_name = intervals.account_name
        and intervals.started_at < day_bounds.day_end and intervals.ended_at > day_bounds.day_start
),

-- Before an agent's first record of a day that follows a day not loaded, nothing is known (the agent may have
-- been logged out, or in any status); a status carried into the day is already UNKNOWN above.
unknown_starts as (
    select
        day_bounds.account_name,
        day_bounds.day,
        first_records.agent_id,
        'UNKNOWN' as status,
        day_bounds.day_start as piece_start,
        first_records.first_at as piece_end
    from first_records
    join day_bounds on day_bounds.account_name = first_records.account_name and day_bounds.day = first_records.day
    where not day_bounds.follows_a_loaded_day
        and not exists (
            select 1 from pieces
            where pieces.account_name = first_records.account_name
                and pieces.agent_id = first_records.agent_id and pieces.day = first_records.day
                and pieces.status = 'UNKNOWN'
        )
),

status_seconds as (
    select
        account_name,
        day,
        agent_id,
        status,
        sum({{ seconds_between("piece_start", "piece_end") }}) as seconds
    from (select * from pieces union all select * from unknown_starts) as all_pieces
    where piece_end > piece_start
    group by account_name, day, agent_id, status
)

select
    status_seconds.account_name,
    accounts.account_id,
    day,
    agent_id,
    status,
    seconds,
    coalesce(sum(case when status = 'UNKNOWN' then seconds end)
             over (partition by status_seconds.account_name, day, agent_id), 0) as unknown_seconds
from status_seconds
join ({{ accounts_rows() }}) as accounts on accounts.account_name = status_seconds.account_name
