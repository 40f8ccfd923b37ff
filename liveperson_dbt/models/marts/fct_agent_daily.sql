{{ config(
    materialized="incremental",
    incremental_strategy="append",
    on_schema_change="append_new_columns",
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
        account_name,
        account_id,
        day,
        latest_agent_id as agent_id,
        count(*) as conversations,
        percentile_cont(0.5) within group (order by first_response_seconds) as median_first_response_seconds,
        avg(case when csat >= 1 then cast(csat as double precision) end) as avg_csat
    from conversations
    where latest_agent_id <> -1
    group by account_name, account_id, day, latest_agent_id
),

sent as (
    select
        conversations.account_name,
        conversations.account_id,
        conversations.day,
        messages.agent_id,
        count(*) as messages_sent
    from {{ ref("stg_message_records") }} as messages
    join conversations
        on conversations.account_name = messages.account_name
        and conversations.conversation_id = messages.conversation_id
    where messages.sent_by = 'Agent' and messages.agent_id is not null
    group by conversations.account_name, conversations.account_id, conversations.day, messages.agent_id
)

select
    coalesce(as_latest_agent.account_name, sent.account_name) as account_name,
    coalesce(as_latest_agent.account_id, sent.account_id) as account_id,
    coalesce(as_latest_agent.day, sent.day) as day,
    coalesce(as_latest_agent.agent_id, sent.agent_id) as agent_id,
    cast(coalesce(as_latest_agent.conversations, 0) as bigint) as conversations,
    cast(coalesce(sent.messages_sent, 0) as bigint) as messages_sent,
    cast(as_latest_agent.median_first_response_seconds as double precision) as median_first_response_seconds,
    cast(as_latest_agent.avg_csat as double precision) as avg_csat
from as_latest_agent
full outer join sent
    on sent.account_name = as_latest_agent.account_name and sent.day = as_latest_agent.day
    and sent.agent_id = as_latest_agent.agent_id
