{{ config(
    materialized="incremental",
    incremental_strategy="append",
    on_schema_change="append_new_columns",
    pre_hook="{{ delete_window_days('day') }}",
) }}
-- One row per conversation, in the day (LIVEPERSON_TIMEZONE) it started; built for the days asked for (vars
-- first_day, last_day), replacing their rows. Definitions in _marts.yml.
with conversations as (
    select *
    from {{ ref("stg_conversations") }}
    where {{ in_window("started_at", "account_name") }}
),

messages as (
    select messages.*
    from {{ ref("stg_message_records") }} as messages
    join conversations
        on conversations.account_name = messages.account_name
        and conversations.conversation_id = messages.conversation_id
),

message_counts as (
    select
        account_name,
        conversation_id,
        sum(case when sent_by = 'Consumer' then 1 else 0 end) as consumer_message_count,
        sum(case when sent_by = 'Agent' then 1 else 0 end) as agent_message_count,
        min(case when sent_by = 'Consumer' then sent_at_ms end) as first_consumer_ms
    from messages
    group by account_name, conversation_id
),

first_responses as (
    select
        messages.account_name,
        messages.conversation_id,
        min(messages.sent_at_ms) as first_response_ms
    from messages
    join message_counts
        on message_counts.account_name = messages.account_name
        and message_counts.conversation_id = messages.conversation_id
    where messages.sent_by = 'Agent' and messages.sent_at_ms >= message_counts.first_consumer_ms
    group by messages.account_name, messages.conversation_id
),

responses as (
    select
        message_counts.account_name,
        message_counts.conversation_id,
        {{ from_epoch_ms("message_counts.first_consumer_ms") }} as first_consumer_at,
        {{ from_epoch_ms("first_responses.first_response_ms") }} as first_response_at
    from message_counts
    join first_responses
        on first_responses.account_name = message_counts.account_name
        and first_responses.conversation_id = message_counts.conversation_id
),

-- The skill whose schedule measures the conversation: its latest skill, or -1 (the account's defaults) for a skill
-- the warehouse does not know.
schedules as (
    select
        conversations.account_name,
        conversations.conversation_id,
        coalesce(skills.skill_id, -1) as schedule_skill_id
    from conversations
    left join {{ ref("dim_skill_schedules") }} as skills
        on skills.account_name = conversations.account_name and skills.skill_id = conversations.latest_skill_id
),

business_responses as (
    select
        responses.account_name,
        responses.conversation_id,
        sum({{ seconds_between(
            "case when calendar.opens_at > responses.first_consumer_at then calendar.opens_at
                  else responses.first_consumer_at end",
            "case when calendar.closes_at < responses.first_response_at then calendar.closes_at
                  else responses.first_response_at end") }}) as open_seconds
    from responses
    join schedules
        on schedules.account_name = responses.account_name and schedules.conversation_id = responses.conversation_id
    join {{ ref("business_calendar") }} as calendar
        on calendar.account_name = schedules.account_name
        and calendar.skill_id = schedules.schedule_skill_id
        and calendar.opens_at < responses.first_response_at
        and calendar.closes_at > responses.first_consumer_at
    group by responses.account_name, responses.conversation_id
),

business as (
    select
        responses.account_name,
        responses.conversation_id,
        case when skill_schedules.is_always_open
             then {{ seconds_between("responses.first_consumer_at", "responses.first_response_at") }}
             else coalesce(business_responses.open_seconds, 0) end as first_response_business_seconds
    from responses
    join schedules
        on schedules.account_name = responses.account_name and schedules.conversation_id = responses.conversation_id
    join {{ ref("dim_skill_schedules") }} as skill_schedules
        on skill_schedules.account_name = schedules.account_name
        and skill_schedules.skill_id = schedules.schedule_skill_id
    left join business_responses
        on business_responses.account_name = responses.account_name
        and business_responses.conversation_id = responses.conversation_id
),

started_open as (
    select distinct conversations.account_name, conversations.conversation_id
    from conversations
    join schedules
        on schedules.account_name = conversations.account_name
        and schedules.conversation_id = conversations.conversation_id
    join {{ ref("business_calendar") }} as calendar
        on calendar.account_name = schedules.account_name
        and calendar.skill_id = schedules.schedule_skill_id
        and calendar.opens_at <= conversations.started_at
        and calendar.closes_at > conversations.started_at
),

transfers as (
    select
        transfers.account_name,
        transfers.conversation_id,
        count(*) as transfer_count
    from {{ ref("stg_transfers") }} as transfers
    join conversations
        on conversations.account_name = transfers.account_name
        and conversations.conversation_id = transfers.conversation_id
    group by transfers.account_name, transfers.conversation_id
)

select
    conversations.account_name,
    conversations.account_id,
    conversations.conversation_id,
    {{ day_of("conversations.started_at", "conversations.account_name") }} as day,
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
    conversations.channel,
    business.first_response_business_seconds,
    case when coalesce(message_counts.consumer_message_count, 0) = 0 then null
         else coalesce(business.first_response_business_seconds <= {{ var("service_level_seconds") }}, false)
    end as within_service_level,
    conversations.status = 'CLOSE' and coalesce(message_counts.consumer_message_count, 0) > 0
        and coalesce(message_counts.agent_message_count, 0) = 0 as abandoned,
    skill_schedules.is_always_open or started_open.conversation_id is not null as started_in_business_hours
from conversations
left join message_counts
    on message_counts.account_name = conversations.account_name
    and message_counts.conversation_id = conversations.conversation_id
left join first_responses
    on first_responses.account_name = conversations.account_name
    and first_responses.conversation_id = conversations.conversation_id
left join transfers
    on transfers.account_name = conversations.account_name and transfers.conversation_id = conversations.conversation_id
join schedules
    on schedules.account_name = conversations.account_name and schedules.conversation_id = conversations.conversation_id
join {{ ref("dim_skill_schedules") }} as skill_schedules
    on skill_schedules.account_name = schedules.account_name and skill_schedules.skill_id = schedules.schedule_skill_id
left join started_open
    on started_open.account_name = conversations.account_name
    and started_open.conversation_id = conversations.conversation_id
left join business
    on business.account_name = conversations.account_name and business.conversation_id = conversations.conversation_id
