-- One row per LivePerson user (agents, bots, API users), deleted ones included (old conversations name them).
select
    users.account_name,
    users.account_id,
    users.agent_id,
    users.login_name,
    users.nickname,
    users.full_name,
    users.email,
    users.user_type,
    users.is_api_user,
    users.is_enabled,
    users.is_deleted,
    users.agent_group_id,
    agent_groups.agent_group_name,
    users.max_chats,
    users.max_async_chats
from {{ ref("stg_users") }} as users
left join {{ ref("stg_agent_groups") }} as agent_groups
    on agent_groups.account_name = users.account_name and agent_groups.agent_group_id = users.agent_group_id
