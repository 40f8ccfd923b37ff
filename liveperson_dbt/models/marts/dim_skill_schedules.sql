-- One row per skill (deleted ones included) and one for -1 (unassigned conversations): the workdays and special
-- occasion its conversations are measured in. A skill's own object (when it exists and is not deleted), else the
-- account's default (isDefault), else none: without workdays the skill is always open.
with accounts as (
    {{ accounts_rows() }}
),

skills as (
    select account_name, account_id, skill_id, workdays_id, special_occasion_id from {{ ref("stg_skills") }}
    union all
    select account_name, account_id, cast(-1 as bigint), cast(null as bigint), cast(null as bigint) from accounts
),

workdays as (
    select account_name, workdays_id, is_default from {{ ref("stg_workdays") }} where not is_deleted
),

occasions as (
    select account_name, special_occasion_id, is_default from {{ ref("stg_special_occasions") }} where not is_deleted
),

defaults as (
    select
        accounts.account_name,
        (select min(workdays_id) from workdays
         where is_default and workdays.account_name = accounts.account_name) as workdays_id,
        (select min(special_occasion_id) from occasions
         where is_default and occasions.account_name = accounts.account_name) as special_occasion_id
    from accounts
)

select
    skills.account_name,
    skills.account_id,
    skills.skill_id,
    coalesce(own_workdays.workdays_id, defaults.workdays_id) as workdays_id,
    case when own_workdays.workdays_id is not null then 'skill'
         when defaults.workdays_id is not null then 'account default'
         else 'always open' end as workdays_from,
    coalesce(own_occasion.special_occasion_id, defaults.special_occasion_id) as special_occasion_id,
    coalesce(own_workdays.workdays_id, defaults.workdays_id) is null as is_always_open
from skills
join defaults on defaults.account_name = skills.account_name
left join workdays as own_workdays
    on own_workdays.account_name = skills.account_name and own_workdays.workdays_id = skills.workdays_id
left join occasions as own_occasion
    on own_occasion.account_name = skills.account_name
    and own_occasion.special_occasion_id = skills.special_occasion_id
