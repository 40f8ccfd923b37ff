-- One row per transfer of a conversation (`transfers`), de-nested (each carries its conversation_id).
with source as (
    {{ liveperson_table("conversations__transfers", [
        "time_l bigint", "source_skill_id bigint", "target_skill_id bigint", "source_agent_id bigint",
        "assigned_agent_id bigint", "reason text", "by text", "dialog_id text", "_dlt_list_idx bigint",
        "conversation_id text",
    ]) }}
)

select
    conversations.account_name,
    conversations.account_id,
    conversations.conversation_id,
    source._dlt_list_idx as transfer_index,
    {{ from_epoch_ms("source.time_l") }} as transferred_at,
    source.source_skill_id,
    source.target_skill_id,
    source.source_agent_id,
    source.assigned_agent_id,
    source.reason,
    source."by" as transferred_by,
    source.dialog_id
from source
join {{ ref("stg_conversations") }} as conversations
    on conversations.account_name = source.account_name
    and conversations.conversation_id = source.conversation_id
