-- Every LivePerson agent group, deleted ones included: typed and renamed.
with source as (
    {{ liveperson_table("agent_groups", [
        "id bigint", "name text", "description text", "parent_group_id bigint", "is_enabled boolean",
        "deleted boolean",
    ]) }}
)

select
    account_name,
    account_id,
    id as agent_group_id,
    name as agent_group_name,
    description,
    parent_group_id as parent_agent_group_id,
    is_enabled,
    coalesce(deleted, false) as is_deleted
from source
