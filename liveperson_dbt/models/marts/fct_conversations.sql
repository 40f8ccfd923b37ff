{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- One row per conversation, in the day (LIVEPERSON_TIMEZONE) it started; built for the days asked for (vars
-- first_day, last_day), replacing their rows. Definitions in _marts.yml.
with conversations as (
    select *
    from {{ ref("stg_conversations") }}
    where {{ in_window("started_at") }}
),

messages as (
    select messages.*
    from {{ ref("stg_message_records") }} as messages
    join conversations on conversations.conversation_id = messages.conversation_id
),

message_counts as (
    select
        conversation_id,
        sum(case when sent_by = 'Consumer' then 1 else 0 end) as consumer_message_count,
        sum(case when sent_by = 'Agent' then 1 else 0 end) as agent_message_count,
        min(case when sent_by = 'Consumer' then sent_at_ms end) as first_consumer_ms
    from messages
    group by conversation_id
),

first_responses as (
    select
        messages.conversation_id,
        min(messages.sent_at_ms) as first_response_ms
    from messages
    join message_counts on message_counts.conversation_id = messages.conversation_id
    where messages.sent_by = 'Agent' and messages.sent_at_ms >= message_counts.first_consumer_ms
    group by messages.conversation_id
),

transfers as (
    select
        transfers.conversation_id,
        count(*) as transfer_count
    from {{ ref("stg_transfers") }} as transfers
    join conversations on conversations.conversation_id = transfers.conversation_id
    group by transfers.conversation_id
)

select
    conversations.conversation_id,
    {{ day_of("conversations.started_at") }} as day,
    conversations.started_at,
    conversations.ended_at,
    conversations.status,
    case when conversations.ended_at is not null
         then {{ seconds_between("conversations.started_at", "conversations.ended_at") }} end as duration_seconds,
    conversations.latest_agent_id,
    conversations.latest_skill_id,
    conversations.latest_agent_group_id,
    cast(coalesce(message_counts.consumer_message_count, 0) as bigint) as consumer_message_count,
    cast(coalesce(message_counts.agent_message_count, 0) as bigint) as agent_message_count,
    cast(first_responses.first_response_ms - message_counts.first_consumer_ms as double precision) / 1000
        as first_response_seconds,
    cast(coalesce(transfers.transfer_count, 0) as bigint) as transfer_count,
    conversations.csat,
    conversations.mcs,
    conversations.close_reason,
    conversations.channel
from conversations
left join message_counts on message_counts.conversation_id = conversations.conversation_id
left join first_responses on first_responses.conversation_id = conversations.conversation_id
left join transfers on transfers.conversation_id = conversations.conversation_id
