-- One row per agent status change (Agent Activity API): typed, with the status it sets named.
with source as (
    {{ liveperson_table("agent_status_changes", [
        "status_change_id text", "agent_id bigint", "time timestamptz", "status_type bigint",
        "status_sub_type bigint", "status_reason_id bigint", "status_reason_text text", "session_id bigint",
        "sequence_number bigint", "agent_group_id bigint",
    ]) }}
)

select
    account_name,
    account_id,
    status_change_id,
    agent_id,
    time as changed_at,
    status_type,
    status_sub_type,
    -- statusType 3 is a login, 4 a logout, 1 a change to the status of statusSubType.
    case
        when status_type = 3 then 'LOGIN'
        when status_type = 4 then 'LOGOUT'
        when status_type = 1 and status_sub_type = 1 then 'OFFLINE'
        when status_type = 1 and status_sub_type = 2 then 'ONLINE'
        when status_type = 1 and status_sub_type = 3 then 'OCCUPIED'
        when status_type = 1 and status_sub_type = 4 then 'AWAY'
        else 'UNKNOWN'
    end as status,
    status_reason_id,
    status_reason_text,
    session_id,
    sequence_number,
    agent_group_id
from source
