-- One row per conversation: the `info` fields lifted, typed and renamed. Its child tables carry its
-- `conversation_id`.
with source as (
    {{ liveperson_table("conversations", [
        "conversation_id text", "start_time timestamptz", "end_time timestamptz", "info__status text",
        "info__latest_agent_id bigint", "info__latest_skill_id bigint", "info__latest_agent_group_id bigint",
        "info__csat_rate bigint", "info__mcs bigint", "info__close_reason text", "info__source text",
        "info__is_partial boolean",
    ]) }}
)

select
    account_name,
    account_id,
    conversation_id,
    start_time as started_at,
    end_time as ended_at,
    info__status as status,
    -- -1 is LivePerson's "unassigned"; a conversation that names none is unassigned too.
    coalesce(info__latest_agent_id, -1) as latest_agent_id,
    coalesce(info__latest_skill_id, -1) as latest_skill_id,
    coalesce(info__latest_agent_group_id, -1) as latest_agent_group_id,
    info__csat_rate as csat,
    info__mcs as mcs,
    info__close_reason as close_reason,
    info__source as channel,
    coalesce(info__is_partial, false) as is_partial
from source
