-- One row per LivePerson skill, deleted ones included (old conversations name them).
select
    account_name,
    account_id,
    skill_id,
    skill_name,
    description,
    is_deleted,
    can_transfer,
    skill_order,
    max_wait_time,
    sla_default_response_time,
    sla_first_time_response_time,
    wrap_up_time
from {{ ref("stg_skills") }}
