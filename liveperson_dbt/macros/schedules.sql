{#- Workdays and special-occasion events: `dateTime` is `yyyy-MM-dd` (a whole day from 00:00) or
    `yyyy-MM-ddTHH:mm:ss`, wall-clock time of the event's `timeZone`. -#}

{#- The wall-clock timestamp of an event's `dateTime` text. -#}
{% macro local_date_time(text) -%}
  cast(replace({{ text }}, 'T', ' ') as timestamp)
{%- endmacro %}

{#- The wall-clock end of an event: LivePerson's docs make `T23:59` the end of a whole day, so 23:59:00 ends at the
    next midnight. -#}
{% macro local_end_time(text) -%}
  case when {{ text }} like '%T23:59' or {{ text }} like '%T23:59:00'
       then {{ local_date_time(text) }} + interval '1 minute'
       else {{ local_date_time(text) }} end
{%- endmacro %}

{#- The wall-clock timestamp on the date `local_date` at the time of day of the wall-clock timestamp `local`. -#}
{% macro on_date_at_time_of(local_date, local) -%}
  cast({{ local_date }} as timestamp) + ({{ local }} - cast(cast({{ local }} as date) as timestamp))
{%- endmacro %}

{#- The instant (timestamptz) of the wall-clock timestamp `local` in the time zone named by the column `zone`. -#}
{% macro instant_in_zone(local, zone) -%}
  (({{ local }}) at time zone {{ zone }})
{%- endmacro %}
