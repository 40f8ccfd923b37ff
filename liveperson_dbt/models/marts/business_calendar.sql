-- The open intervals, in UTC, of each skill's schedule (dim_skill_schedules) over the days the warehouse holds
-- conversations (two days either side, so that every zone's local days are covered). Overlapping or touching
-- intervals are merged: the intervals of a skill never overlap. Definitions in _marts.yml.
with recursive schedules as (
    select account_name, account_id, skill_id, workdays_id, special_occasion_id
    from {{ ref("dim_skill_schedules") }}
    where not is_always_open
),

instants as (
    select started_at as instant from {{ ref("stg_conversations") }}
    union all
    select ended_at from {{ ref("stg_conversations") }}
    union all
    select sent_at from {{ ref("stg_message_records") }}
),

bounds as (
    select
        cast({{ day_of("min(instant)") }} - 2 as date) as first_date,
        cast({{ day_of("max(instant)") }} + 2 as date) as last_date
    from instants
),

dates (local_date) as (
    select first_date from bounds where first_date is not null
    union all
    select cast(dates.local_date + 1 as date) from dates, bounds where dates.local_date < bounds.last_date
),

-- The local dates each special-occasion event covers: from its start's date to its end's (an end at midnight does
-- not cover that date), repeated `occurrences` days.
covered as (
    select distinct events.account_name, events.special_occasion_id, dates.local_date
    from {{ ref("stg_special_occasion_events") }} as events
    join dates
        on dates.local_date >= cast(events.starts_local as date)
        and dates.local_date <= cast(cast(events.ends_local - interval '1 second' as date) + (events.occurrences - 1)
                                     as date)
),

-- A workdays event opens on each date of its weekday from its start date on, except on the dates the schedule's
-- special occasion covers.
weekly as (
    select
        schedules.account_name,
        schedules.skill_id,
        events.time_zone,
        {{ on_date_at_time_of("dates.local_date", "events.starts_local") }} as opens_local,
        events.ends_local - events.starts_local as open_length
    from schedules
    join {{ ref("stg_workday_events") }} as events
        on events.account_name = schedules.account_name and events.workdays_id = schedules.workdays_id
        and events.is_applied
    join dates
        on extract(dow from dates.local_date) = events.weekday
        and dates.local_date >= cast(events.starts_local as date)
    where not exists (
        select 1 from covered
        where covered.account_name = schedules.account_name
            and covered.special_occasion_id = schedules.special_occasion_id and covered.local_date = dates.local_date
    )
),

-- Changed hours: a working special-occasion event opens on each of its dates for its own hours.
changed as (
    select
        schedules.account_name,
        schedules.skill_id,
        events.time_zone,
        {{ on_date_at_time_of("dates.local_date", "events.starts_local") }} as opens_local,
        events.ends_local - events.starts_local as open_length
    from schedules
    join {{ ref("stg_special_occasion_events") }} as events
        on events.account_name = schedules.account_name
        and events.special_occasion_id = schedules.special_occasion_id and events.is_working
    join dates
        on dates.local_date >= cast(events.starts_local as date)
        and dates.local_date < cast(cast(events.starts_local as date) + events.occurrences as date)
),

intervals as (
    select
        account_name,
        skill_id,
        {{ instant_in_zone("opens_local", "time_zone") }} as opens_at,
        {{ instant_in_zone("opens_local + open_length", "time_zone") }} as closes_at
    from (select * from weekly union all select * from changed) as local_intervals
),

marked as (
    select
        account_name,
        skill_id,
        opens_at,
        closes_at,
        case when opens_at <= max(closes_at) over (
                 partition by account_name, skill_id
                 order by opens_at, closes_at rows between unbounded preceding and 1 preceding)
             then 0 else 1 end as starts_island
    from intervals
    where closes_at > opens_at
),

islands as (
    select
        account_name,
        skill_id,
        opens_at,
        closes_at,
        sum(starts_island) over (partition by account_name, skill_id order by opens_at, closes_at rows unbounded preceding)
            as island
    from marked
)

select
    islands.account_name,
    schedules.account_id,
    islands.skill_id,
    schedules.workdays_id,
    schedules.special_occasion_id,
    min(islands.opens_at) as opens_at,
    max(islands.closes_at) as closes_at
from islands
join schedules on schedules.account_name = islands.account_name and schedules.skill_id = islands.skill_id
group by islands.account_name, schedules.account_id, islands.skill_id, schedules.workdays_id,
    schedules.special_occasion_id, islands.island
