-- One row per message record of a conversation (`messageRecords`), de-nested (each carries its conversation_id),
-- the time as an instant and in epoch milliseconds (exact differences).
with source as (
    {{ liveperson_table("conversations__message_records", [
        "message_id text", "seq bigint", "dialog_id text", "participant_id text", "sent_by text", "type text",
        "audience text", "time_l bigint", "conversation_id text",
    ]) }}
)

select
    conversations.account_name,
    conversations.account_id,
    conversations.conversation_id,
    source.message_id,
    source.seq,
    source.dialog_id,
    source.sent_by,
    source.participant_id,
    -- The sender's user id on an "Agent" message (its participantId), NULL on any other.
    case when source.sent_by = 'Agent' and source.participant_id ~ '^[0-9]+$'
         then cast(source.participant_id as bigint) end as agent_id,
    source.type as message_type,
    source.audience,
    source.time_l as sent_at_ms,
    {{ from_epoch_ms("source.time_l") }} as sent_at
from source
join {{ ref("stg_conversations") }} as conversations
    on conversations.account_name = source.account_name
    and conversations.conversation_id = source.conversation_id
