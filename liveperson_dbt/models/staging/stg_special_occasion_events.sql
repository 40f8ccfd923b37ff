-- One row per event of a special occasion: a day off (`is_working` false) or changed hours, its wall-clock start
-- and end in its time zone, and how many daily occurrences it has (`RRULE:FREQ=DAILY;COUNT=n;INTERVAL=1`, 1 without
-- a recurrence).
with occasions as (
    {{ liveperson_table("special_occasions", ["id bigint", "_dlt_id text"]) }}
),

events as (
    {{ liveperson_table("special_occasions__events", [
        "start__date_time text", "start__time_zone text", "end__date_time text", "meta__working boolean",
        "meta__name text", "_dlt_parent_id text", "_dlt_id text",
    ]) }}
),

rules as (
    {{ liveperson_table("special_occasions__events__recurrence", ["value text", "_dlt_parent_id text"]) }}
)

select
    events.account_name,
    events.account_id,
    occasions.id as special_occasion_id,
    events._dlt_id as event_id,
    events.meta__name as event_name,
    coalesce(events.meta__working, false) as is_working,
    events.start__time_zone as time_zone,
    {{ local_date_time("events.start__date_time") }} as starts_local,
    {{ local_end_time("events.end__date_time") }} as ends_local,
    case when rules.value is null then 1
         when rules.value like 'RRULE:FREQ=DAILY;COUNT=%;INTERVAL=1'
         then cast(regexp_replace(rules.value, '^RRULE:FREQ=DAILY;COUNT=([0-9]+);INTERVAL=1$', '\1') as integer)
    end as occurrences
from events
join occasions on occasions.account_name = events.account_name and occasions._dlt_id = events._dlt_parent_id
left join rules on rules.account_name = events.account_name and rules._dlt_parent_id = events._dlt_id
