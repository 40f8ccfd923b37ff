-- Every special occasion, deleted ones included; its events are in stg_special_occasion_events.
with source as (
    {{ liveperson_table("special_occasions", [
        "id bigint", "name text", "description text", "deleted boolean", "is_default boolean",
    ]) }}
)

select
    account_name,
    account_id,
    id as special_occasion_id,
    name as special_occasion_name,
    description,
    coalesce(deleted, false) as is_deleted,
    coalesce(is_default, false) as is_default
from source
