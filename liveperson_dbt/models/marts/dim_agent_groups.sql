-- One row per agent group, deleted ones included, with its place in the hierarchy: `group_path` names the groups
-- from the root down to this one. A parent missing from the account ends the path there; a cycle (never seen, but
-- nothing in the API forbids it) is cut after 32 levels.
with recursive groups as (
    select * from {{ ref("stg_agent_groups") }}
),

ancestry (account_name, agent_group_id, ancestor_id, group_path, depth) as (
    select
        account_name,
        agent_group_id,
        parent_agent_group_id,
        cast(coalesce(agent_group_name, '') as {{ dbt.type_string() }}),
        0
    from groups
    union all
    select
        ancestry.account_name,
        ancestry.agent_group_id,
        parents.parent_agent_group_id,
        cast(coalesce(parents.agent_group_name, '') || ' / ' || ancestry.group_path as {{ dbt.type_string() }}),
        ancestry.depth + 1
    from ancestry
    join groups as parents
        on parents.account_name = ancestry.account_name and parents.agent_group_id = ancestry.ancestor_id
    where ancestry.depth < 32
),

longest as (
    select
        account_name,
        agent_group_id,
        group_path,
        depth,
        row_number() over (partition by account_name, agent_group_id order by depth desc) as rank_from_root
    from ancestry
)

select
    groups.account_name,
    groups.account_id,
    groups.agent_group_id,
    groups.agent_group_name,
    groups.parent_agent_group_id,
    longest.group_path,
    longest.depth,
    groups.description,
    groups.is_enabled,
    groups.is_deleted
from groups
join longest
    on longest.account_name = groups.account_name and longest.agent_group_id = groups.agent_group_id
    and longest.rank_from_root = 1
