{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- One row per day and agent who was the latest agent of a conversation of the day or sent a message in one.
-- Conversations count in the day they started (as in fct_conversations), their messages with them.
with conversations as (
    select *
    from {{ ref("fct_conversations") }}
    where {{ day_in_window("day") }}
),

as_latest_agent as (
    select
        day,
        latest_agent_id as agent_id,
        count(*) as conversations,
        percentile_cont(0.5) within group (order by first_response_seconds) as median_first_response_seconds,
        avg(case when csat >= 1 then cast(csat as double precision) end) as avg_csat
    from conversations
    where latest_agent_id <> -1
    group by day, latest_agent_id
),

sent as (
    select
        conversations.day,
        messages.agent_id,
        count(*) as messages_sent
    from {{ ref("stg_message_records") }} as messages
    join conversations on conversations.conversation_id = messages.conversation_id
    where messages.sent_by = 'Agent' and messages.agent_id is not null
    group by conversations.day, messages.agent_id
)

select
    coalesce(as_latest_agent.day, sent.day) as day,
    coalesce(as_latest_agent.agent_id, sent.agent_id) as agent_id,
    cast(coalesce(as_latest_agent.conversations, 0) as bigint) as conversations,
    cast(coalesce(sent.messages_sent, 0) as bigint) as messages_sent,
    cast(as_latest_agent.median_first_response_seconds as double precision) as median_first_response_seconds,
    cast(as_latest_agent.avg_csat as double precision) as avg_csat
from as_latest_agent
full outer join sent on sent.day = as_latest_agent.day and sent.agent_id = as_latest_agent.agent_id
