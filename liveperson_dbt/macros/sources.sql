{#- Reads a table of the LivePerson dataset by the columns a model needs, whether or not dlt has created them:
    dlt adds a column when a record first carries the field, and a child table when a record first has the part
    (no transfer yet: no `conversations__transfers`). A missing column reads as NULL of its type, a missing table
    as no rows, so the marts build on any account from its first day.

    `columns`: "name type" strings, the types as both DuckDB and PostgreSQL spell them (text, bigint, boolean,
    double precision, timestamptz). -#}
{% macro liveperson_table(table, columns) -%}
  {%- set relation = source("liveperson", table) -%}
  {%- set existing = [] -%}
  {%- set table_exists = true -%}
  {%- if execute -%}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                         identifier=relation.identifier) -%}
    {%- set table_exists = found is not none -%}
    {%- if table_exists -%}
      {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do existing.append(column.name | lower) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endif -%}
  select
  {%- for spec in columns %}
    {%- set name, type = spec.split(" ", 1) %}
    {% if not execute or name in existing -%}
      cast({{ adapter.quote(name) }} as {{ type }})
    {%- else -%}
      cast(null as {{ type }})
    {%- endif %} as {{ adapter.quote(name) }}{{ "," if not loop.last }}
  {%- endfor %}
  {%- if table_exists %}
  from {{ relation }}
  {%- else %}
  where 1 = 0
  {%- endif %}
{%- endmacro %}
