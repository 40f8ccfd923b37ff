-- Every workdays object (hours of operation), deleted ones included; its events are in stg_workday_events.
with source as (
    {{ liveperson_table("workdays", [
        "id bigint", "name text", "description text", "deleted boolean", "is_default boolean",
    ]) }}
)

select
    account_name,
    account_id,
    id as workdays_id,
    name as workdays_name,
    description,
    coalesce(deleted, false) as is_deleted,
    coalesce(is_default, false) as is_default
from source
