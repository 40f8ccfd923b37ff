-- One row per skill (deleted ones included) and one for -1 (unassigned conversations): the workdays and special
-- occasion its conversations are measured in. A skill's own object (when it exists and is not deleted), else the
-- account's default (isDefault), else none: without workdays the skill is always open.
with skills as (
    select skill_id, workdays_id, special_occasion_id from {{ ref("stg_skills") }}
    union all
    select cast(-1 as bigint), cast(null as bigint), cast(null as bigint)
),

workdays as (
    select workdays_id, is_default from {{ ref("stg_workdays") }} where not is_deleted
),

occasions as (
    select special_occasion_id, is_default from {{ ref("stg_special_occasions") }} where not is_deleted
),

defaults as (
    select
        (select min(workdays_id) from workdays where is_default) as workdays_id,
        (select min(special_occasion_id) from occasions where is_default) as special_occasion_id
)

select
    skills.skill_id,
    coalesce(own_workdays.workdays_id, defaults.workdays_id) as workdays_id,
    case when own_workdays.workdays_id is not null then 'skill'
         when defaults.workdays_id is not null then 'account default'
         else 'always open' end as workdays_from,
    coalesce(own_occasion.special_occasion_id, defaults.special_occasion_id) as special_occasion_id,
    coalesce(own_workdays.workdays_id, defaults.workdays_id) is null as is_always_open
from skills
cross join defaults
left join workdays as own_workdays on own_workdays.workdays_id = skills.workdays_id
left join occasions as own_occasion on own_occasion.special_occasion_id = skills.special_occasion_id
