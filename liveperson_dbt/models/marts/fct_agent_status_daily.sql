{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- Seconds per day, agent and status, from the agents' status changes. A status lasts from its change to the
-- agent's next record (change, logout or login); the time between a logout and the next login counts for no
-- status. A status with no later record lasts to the end of its day (every record of the day is loaded with the
-- day, so there was none) or until now. Each interval is split at the day boundaries of LIVEPERSON_TIMEZONE, and a
-- day carries on the status the day before ended with.
{%- set days = window_days() %}
with recursive records as (
    select
        agent_id,
        changed_at,
        status_type,
        status,
        -- At the same instant: an old session's records (an offline change, its logout) before a login's (the login,
        -- then its default status: both session -1), each in sequence-number order.
        lead(changed_at) over (
            partition by agent_id
            order by changed_at, case when session_id = -1 then 1 else 0 end, sequence_number
        ) as next_changed_at
    from {{ ref("stg_agent_status_changes") }}
    {%- if days is not none %}
    where changed_at < {{ day_start("cast('" ~ days[1] ~ "' as date) + 1") }}
    {%- endif %}
),

intervals as (
    select
        agent_id,
        status,
        changed_at as started_at,
        coalesce(
            next_changed_at,
            case when {{ day_start(day_of("changed_at") ~ " + 1") }} < current_timestamp
                 then {{ day_start(day_of("changed_at") ~ " + 1") }} else current_timestamp end
        ) as ended_at
    from records
    where status_type = 1
),

bounds as (
    {%- if days is not none %}
    select cast('{{ days[0] }}' as date) as first_day, cast('{{ days[1] }}' as date) as last_day
    {%- else %}
    select min({{ day_of("started_at") }}) as first_day, max({{ day_of("ended_at") }}) as last_day
    from intervals
    {%- endif %}
),

days (day) as (
    select first_day from bounds where first_day is not null
    union all
    select cast(days.day + 1 as date) from days, bounds where days.day < bounds.last_day
),

day_bounds as (
    select
        day,
        {{ day_start("day") }} as day_start,
        {{ day_start("day + 1") }} as day_end
    from days
),

pieces as (
    select
        day_bounds.day,
        intervals.agent_id,
        intervals.status,
        case when intervals.started_at > day_bounds.day_start then intervals.started_at
             else day_bounds.day_start end as piece_start,
        case when intervals.ended_at < day_bounds.day_end then intervals.ended_at
             else day_bounds.day_end end as piece_end
    from intervals
    join day_bounds
        on intervals.started_at < day_bounds.day_end and intervals.ended_at > day_bounds.day_start
)

select
    day,
    agent_id,
    status,
    sum({{ seconds_between("piece_start", "piece_end") }}) as seconds
from pieces
where piece_end > piece_start
group by day, agent_id, status
