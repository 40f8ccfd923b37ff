-- One row per event of a workdays object: its weekday (0 Sunday .. 6 Saturday, from `RRULE:FREQ=WEEKLY;BYDAY=XX`),
-- its wall-clock start and end in its time zone, and whether LivePerson applies it (see _staging.yml).
with workdays as (
    {{ liveperson_table("workdays", ["id bigint", "deleted boolean", "is_default boolean", "_dlt_id text"]) }}
),

events as (
    {{ liveperson_table("workdays__events", [
        "start__date_time text", "start__time_zone text", "end__date_time text", "end__time_zone text",
        "_dlt_parent_id text", "_dlt_id text",
    ]) }}
),

rules as (
    {{ liveperson_table("workdays__events__recurrence", ["value text", "_dlt_parent_id text"]) }}
),

parsed as (
    select
        events.account_name,
        events.account_id,
        workdays.id as workdays_id,
        events._dlt_id as event_id,
        events.start__time_zone as time_zone,
        {{ local_date_time("events.start__date_time") }} as starts_local,
        {{ local_end_time("events.end__date_time") }} as ends_local,
        case right(rules.value, 2)
            when 'SU' then 0 when 'MO' then 1 when 'TU' then 2 when 'WE' then 3 when 'TH' then 4
            when 'FR' then 5 when 'SA' then 6 end as weekday,
        rules.value as recurrence
    from events
    join workdays on workdays.account_name = events.account_name and workdays._dlt_id = events._dlt_parent_id
    left join rules on rules.account_name = events.account_name and rules._dlt_parent_id = events._dlt_id
)

select
    account_name,
    account_id,
    workdays_id,
    event_id,
    time_zone,
    starts_local,
    ends_local,
    weekday,
    recurrence,
    -- The documented rule, and a start date on its weekday ("If this is not followed, you will not receive an
    -- error code but this event won't work"), and at most 24 hours.
    coalesce(recurrence like 'RRULE:FREQ=WEEKLY;BYDAY=__'
             and weekday = extract(dow from cast(starts_local as date))
             and ends_local > starts_local
             and ends_local <= starts_local + interval '1 day', false) as is_applied
from parsed
