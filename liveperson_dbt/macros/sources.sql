{#- Reads a table of every account's LivePerson dataset (var `accounts`), union all, each row with its
    `account_name` and `account_id`, by the columns a model needs, whether or not dlt has created them:
    dlt adds a column when a record first carries the field, and a child table when a record first has the part
    (no transfer yet: no `conversations__transfers`). A missing column reads as NULL of its type, a missing table
    as no rows, so the marts build on any account from its first day.

    `columns`: "name type" strings, the types as both DuckDB and PostgreSQL spell them (text, bigint, boolean,
    double precision, timestamptz). -#}
{% macro liveperson_table(table, columns) -%}
  {%- for account in accounts() %}
  {{ account_table(source("liveperson", table).incorporate(path={"schema": account["schema"]}), columns, account) }}
  {%- if not loop.last %}
  union all
  {%- endif %}
  {%- endfor %}
{%- endmacro %}

{#- The accounts: var `accounts` (name, account_id, schema, timezone), or the single account when unset. -#}
{% macro accounts() -%}
  {{ return(var("accounts") or [{"name": "default", "account_id": env_var("LIVEPERSON_ACCOUNT_ID", ""),
                                 "schema": "liveperson", "timezone": var("timezone")}]) }}
{%- endmacro %}

{#- The accounts as rows of `account_name`, `account_id`. -#}
{% macro accounts_rows() -%}
  {%- for account in accounts() %}
  select cast({{ literal(account["name"]) }} as text) as account_name,
         cast({{ literal(account["account_id"]) }} as text) as account_id
  {%- if not loop.last %} union all{% endif %}
  {%- endfor %}
{%- endmacro %}

{% macro literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- One account's table (its dataset is the schema of `relation`), each row with the account's name and id. -#}
{% macro account_table(relation, columns, account) -%}
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
    cast({{ literal(account["name"]) }} as text) as account_name,
    cast({{ literal(account["account_id"]) }} as text) as account_id,
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
