-- Every LivePerson skill, deleted ones included: typed and renamed.
with source as (
    {{ liveperson_table("skills", [
        "id bigint", "name text", "description text", "deleted boolean", "can_transfer boolean",
        "skill_order bigint", "max_wait_time bigint", "sla_default_response_time bigint",
        "sla_first_time_response_time bigint", "wrap_up_time bigint", "working_hours_id bigint",
        "special_occasion_id bigint",
    ]) }}
)

select
    account_name,
    account_id,
    id as skill_id,
    name as skill_name,
    description,
    coalesce(deleted, false) as is_deleted,
    can_transfer,
    skill_order,
    max_wait_time,
    sla_default_response_time,
    sla_first_time_response_time,
    wrap_up_time,
    working_hours_id as workdays_id,
    special_occasion_id
from source
