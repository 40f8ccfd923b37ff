{#- The seconds of one (account, day, agent) add up to no more than that day lasts in the account's time zone
    (23, 24 or 25 hours). -#}
{% test at_most_one_day(model, column_name, per) %}
with totals as (
    select account_name, day, {{ per | join(", ") }}, sum({{ column_name }}) as seconds
    from {{ model }}
    group by account_name, day, {{ per | join(", ") }}
)
select *
from totals
where seconds > {{ seconds_between(day_start("day", "account_name"), day_start("day + 1", "account_name")) }} + 0.001
{% endtest %}
