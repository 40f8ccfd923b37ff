{#- Days in the time zone of the partitions (var `timezone`, LIVEPERSON_TIMEZONE), the same SQL on DuckDB and
    PostgreSQL: `timestamptz AT TIME ZONE zone` is the wall-clock time there, `timestamp AT TIME ZONE zone` the
    instant of that wall-clock time. Neither depends on the session's time zone. -#}

{#- The time zone of the days: var `timezone`; with `account` (an account_name column) and accounts in
    different zones (var `accounts`), the zone of the row's account. -#}
{% macro timezone_literal(account=none) -%}
  {%- set zones = accounts() | map(attribute="timezone") | unique | list -%}
  {%- if account is none or zones | length < 2 -%}
  '{{ (zones[0] if account is not none else var("timezone")) | replace("'", "''") }}'
  {%- else -%}
  case {{ account }}
    {%- for entry in accounts() %} when {{ literal(entry["name"]) }} then {{ literal(entry["timezone"]) }}{% endfor %} end
  {%- endif -%}
{%- endmacro %}

{#- The day (a date) of the instant `ts` (timestamptz), in the zone of the row's `account`. -#}
{% macro day_of(ts, account=none) -%}
  cast(({{ ts }} at time zone {{ timezone_literal(account) }}) as date)
{%- endmacro %}

{#- The instant (timestamptz) the day `day` (a date expression) starts: 00:00 there. -#}
{% macro day_start(day, account=none) -%}
  (cast({{ day }} as timestamp) at time zone {{ timezone_literal(account) }})
{%- endmacro %}

{#- The days asked for (vars first_day and last_day, ISO dates, both included), or none for every day. -#}
{% macro window_days() -%}
  {%- set first, last = var("first_day"), var("last_day") -%}
  {%- if first is none and last is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set iso = modules.re.compile("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") -%}
  {%- if first is none or last is none or not iso.match(first | string) or not iso.match(last | string)
        or (first | string) > (last | string) -%}
    {{ exceptions.raise_compiler_error("vars first_day and last_day must be ISO dates, first_day <= last_day, "
                                       ~ "or both unset; got " ~ first ~ " and " ~ last) }}
  {%- endif -%}
  {{ return([first | string, last | string]) }}
{%- endmacro %}

{#- SQL: whether the instant `ts` falls in the days asked for ([first_day 00:00, the day after last_day 00:00)). -#}
{% macro in_window(ts, account=none) -%}
  {%- set days = window_days() -%}
  {%- if days is none -%}
    1 = 1
  {%- else -%}
    ({{ ts }} >= {{ day_start("cast('" ~ days[0] ~ "' as date)", account) }}
     and {{ ts }} < {{ day_start("cast('" ~ days[1] ~ "' as date) + 1", account) }})
  {%- endif -%}
{%- endmacro %}

{#- SQL: whether the date `day` is one of the days asked for. -#}
{% macro day_in_window(day) -%}
  {%- set days = window_days() -%}
  {%- if days is none -%}
    1 = 1
  {%- else -%}
    ({{ day }} >= cast('{{ days[0] }}' as date) and {{ day }} <= cast('{{ days[1] }}' as date))
  {%- endif -%}
{%- endmacro %}

{#- The pre-hook of the daily marts: before the days asked for are inserted again, their rows go (all rows when
    every day is rebuilt), so a day's rows are exactly what its data gives now, rows gone upstream included. -#}
{% macro delete_window_days(day_column="day") -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ day_in_window(day_column) }}
  {%- endif -%}
{%- endmacro %}

{#- Seconds (fractional) from the instant `start` to the instant `end`. -#}
{% macro seconds_between(start, end) -%}
  {{ return(adapter.dispatch("seconds_between")(start, end)) }}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
  cast(extract(epoch from {{ end }}) - extract(epoch from {{ start }}) as double precision)
{%- endmacro %}

{% macro duckdb__seconds_between(start, end) -%}
  {#- In whole microseconds: epoch() as a double loses the last digits of the milliseconds. #}
  (cast(epoch_us({{ end }}) - epoch_us({{ start }}) as double precision) / 1000000)
{%- endmacro %}

{#- The instant of an epoch-milliseconds number. -#}
{% macro from_epoch_ms(ms) -%}
  to_timestamp({{ ms }} / 1000.0)
{%- endmacro %}
