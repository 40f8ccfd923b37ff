{#- The seconds of one (day, agent) add up to no more than that day lasts in the partitions' time zone (23, 24
    or 25 hours). -#}
{% test at_most_one_day(model, column_name, per) %}
with totals as (
    select day, {{ per | join(", ") }}, sum({{ column_name }}) as seconds
    from {{ model }}
    group by day, {{ per | join(", ") }}
)
select *
from totals
where seconds > {{ seconds_between(day_start("day"), day_start("day + 1")) }} + 0.001
{% endtest %}
