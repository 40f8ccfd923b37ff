-- Every LivePerson user (agents, bots, API users), deleted ones included: typed and renamed.
with source as (
    {{ liveperson_table("users", [
        "id bigint", "login_name text", "nickname text", "full_name text", "email text", "user_type_id bigint",
        "is_api_user boolean", "is_enabled boolean", "deleted boolean", "member_of__agent_group_id bigint",
        "max_chats bigint", "max_async_chats bigint",
    ]) }}
)

select
    account_name,
    account_id,
    id as agent_id,
    login_name,
    nickname,
    full_name,
    email,
    user_type_id,
    case user_type_id when 1 then 'Human' when 2 then 'Bot' end as user_type,
    coalesce(is_api_user, false) as is_api_user,
    is_enabled,
    coalesce(deleted, false) as is_deleted,
    member_of__agent_group_id as agent_group_id,
    max_chats,
    max_async_chats
from source
