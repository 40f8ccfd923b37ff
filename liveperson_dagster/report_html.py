"""The contact-center report as one self-contained HTML page: headline figures, four interactive charts (plotly,
its JavaScript inlined: the page needs no network) and the busiest agents.

Each chart is a `div` with a stable id (CHART_IDS) and each headline figure carries its exact value in a
`data-value` attribute, so a browser test can read what was drawn."""

import html
from datetime import datetime
from typing import Optional

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from .report_data import ReportData

CHART_IDS = {
    "conversations_by_skill": "chart-conversations-by-skill",
    "first_response": "chart-first-response",
    "csat_trend": "chart-csat-trend",
    "agent_status": "chart-agent-status",
    "service_level": "chart-service-level",
}
STATUS_COLOURS = {"ONLINE": "#2e9d5b", "OCCUPIED": "#e0a526", "AWAY": "#d9534f", "OFFLINE": "#9aa5b1",
                  "UNKNOWN": "#d7cce8"}
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}

_STYLE = """
:root { --ink: #1d2733; --muted: #5f6b7a; --line: #e3e8ee; --accent: #ff6a13; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #f5f7fa; }
header { background: #fff; border-bottom: 3px solid var(--accent); padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
main { padding: 24px 32px; max-width: 1400px; margin: 0 auto; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 16px; margin-bottom: 24px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
.tile .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.tile .value { font-size: 28px; font-weight: 600; margin-top: 2px; }
.tile .note { color: var(--muted); font-size: 13px; }
/* Two fixed columns: each chart is drawn as its script is parsed, before the next card exists, so the columns must
   not depend on how many cards there are (auto-fit would give the first chart the whole width). */
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 1100px) { .charts { grid-template-columns: minmax(0, 1fr); } }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 4px; }
.card h2 { font-size: 16px; margin: 4px 0 0; }
.card p { color: var(--muted); font-size: 13px; margin: 2px 0 0; }
.chart { height: 380px; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 13px; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.not-loaded { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 8px; padding: 10px 16px;
              margin: 0 0 16px; }
.empty { background: #fff; border: 1px dashed var(--line); border-radius: 8px; padding: 40px; text-align: center; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px 32px; text-align: center; }
"""


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _number(value: Optional[float], digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _tile(key: str, label: str, value: Optional[float], shown: str, note: str = "") -> str:
    exact = "" if value is None else repr(float(value))
    note_html = f'<div class="note">{html.escape(note)}</div>' if note else ""
    return (f'<div class="tile" data-figure="{key}" data-value="{exact}"><div class="label">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(shown)}</div>{note_html}</div>')


def _tiles(data: ReportData) -> str:
    headline = data.headline
    closed_share = headline.closed / headline.conversations * 100 if headline.conversations else None
    return '<section class="tiles">' + "".join([
        _tile("conversations", "Conversations", headline.conversations, f"{headline.conversations:,}"),
        _tile("closed_percent", "Closed", closed_share, "n/a" if closed_share is None else f"{closed_share:.1f}%",
              f"{headline.closed:,} closed"),
        _tile("median_first_response_seconds", "Median first response",
              headline.median_first_response_seconds, duration(headline.median_first_response_seconds),
              "calendar time"),
        _tile("median_first_response_business_seconds", "Median first response, business hours",
              headline.median_first_response_business_seconds,
              duration(headline.median_first_response_business_seconds), "open time of each skill's schedule"),
        _tile("avg_csat", "Average CSAT", headline.avg_csat, _number(headline.avg_csat),
              f"{headline.csat_answers:,} answers, 1 to 5"),
        _tile("agent_hours_online", "Agent hours online", headline.agent_hours_online,
              f"{headline.agent_hours_online:,.1f} h"),
    ]) + "</section>"


def _layout(**extra) -> dict:
    return {"template": "plotly_white", "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
            "legend": {"orientation": "h", "y": -0.18}, "hovermode": "x unified", **extra}


def _figures(data: ReportData) -> dict:
    days = [day.isoformat() for day in data.days]
    by_skill = go.Figure(
        [go.Bar(name=name, x=days, y=counts) for name, counts in data.conversations_by_skill.items()],
        _layout(barmode="stack", yaxis_title="conversations", xaxis_type="category"))
    response = go.Figure(
        go.Bar(x=list(data.response_buckets), y=list(data.response_buckets.values()), marker_color="#3b7dd8",
               name="conversations"),
        _layout(yaxis_title="conversations", xaxis_title="time to the first agent message", hovermode="closest"))
    csat = go.Figure(
        go.Scatter(x=days, y=data.csat_by_day, mode="lines+markers", name="average CSAT", connectgaps=False,
                   customdata=data.csat_answers_by_day, line_color="#ff6a13",
                   hovertemplate="%{y:.2f} (%{customdata} answers)<extra></extra>"),
        _layout(yaxis_title="CSAT (1 to 5)", yaxis_range=[1, 5], xaxis_type="category"))
    status = go.Figure(
        [go.Bar(name=name, x=days, y=hours, marker_color=STATUS_COLOURS.get(name))
         for name, hours in data.status_hours.items()],
        _layout(barmode="stack", yaxis_title="agent hours", xaxis_type="category"))
    service_level = go.Figure(
        [go.Scatter(name=name, x=days, y=[None if share is None else share * 100 for share in shares],
                    mode="lines+markers", connectgaps=False, hovertemplate="%{y:.1f}%")
         for name, shares in data.service_level_by_skill.items()],
        _layout(yaxis_title="% within the service level", yaxis_range=[0, 105], xaxis_type="category"))
    return {"conversations_by_skill": by_skill, "first_response": response, "csat_trend": csat,
            "agent_status": status, "service_level": service_level}


_CHART_TEXT = {
    "conversations_by_skill": ("Conversations per day and skill", "By the latest skill of each conversation."),
    "first_response": ("First-response time", "Conversations by the time from the first consumer message to the "
                                              "first agent message after it."),
    "csat_trend": ("CSAT trend", "Average of the answers per day (conversations without an answer are left out)."),
    "agent_status": ("Agent time by status", "Hours per status, split at midnight of the report's time zone; "
                                             "UNKNOWN: before an agent's first record after a day not loaded."),
    "service_level": ("Service level by day and skill", "Share of the conversations with a consumer message whose "
                                                        "first response took at most the service level (dbt var "
                                                        "service_level_seconds) in business hours."),
}


def _chart(key: str, figure: go.Figure) -> str:
    title, subtitle = _CHART_TEXT[key]
    div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=CHART_IDS[key], config=_PLOT_CONFIG,
                         default_height="380px")
    return (f'<section class="card"><h2>{html.escape(title)}</h2><p>{html.escape(subtitle)}</p>'
            f'<div class="chart">{div}</div></section>')


def _agents_table(data: ReportData) -> str:
    # Agents of several accounts (the page of all accounts): each named with its account, ids being per account.
    several = len({agent.account_name for agent in data.top_agents}) > 1
    rows = "".join(
        "<tr>" + (f"<td>{html.escape(agent.account_name)}</td>" if several else "")
        + f"<td>{html.escape(agent.name)}</td><td class=\"number\">{agent.agent_id}</td>"
        f"<td class=\"number\">{agent.conversations:,}</td>"
        f"<td class=\"number\">{duration(agent.median_first_response_seconds)}</td>"
        f"<td class=\"number\">{_number(agent.avg_csat)}</td></tr>"
        for agent in data.top_agents)
    return ('<section class="card" style="margin-top:16px"><h2>Busiest agents</h2><p>By conversations as the latest '
            'agent.</p><table id="top-agents"><thead><tr>' + ("<th>account</th>" if several else "")
            + '<th>agent</th><th class="number">id</th>'
            '<th class="number">conversations</th><th class="number">median first response</th>'
            f'<th class="number">average CSAT</th></tr></thead><tbody>{rows}</tbody></table></section>')


def _not_loaded(data: ReportData) -> str:
    """The days of the period the marts hold nothing of, named above the figures (the charts show them empty)."""
    if not data.days_not_loaded:
        return ""
    days = ", ".join(day.isoformat() for day in data.days_not_loaded)
    return (f'<p class="not-loaded" id="days-not-loaded" data-days="{html.escape(days)}">Not loaded: '
            f'{html.escape(days)}. These days hold no conversation and no agent status: load them to complete '
            f'the figures.</p>')


def account_choice(pages: dict, current: Optional[str]) -> str:
    """Links to the pages of the accounts (`pages`: label -> file name, the page of all accounts first)."""
    links = " ".join(f'<a href="{html.escape(file)}"{" aria-current=page" if label == current else ""}>'
                     f"{html.escape(label)}</a>" for label, file in pages.items())
    return f'<nav id="accounts">Account: {links}</nav>'


def render_report(data: ReportData, timezone: str, generated_at: datetime, choice: str = "") -> str:
    """The whole page. With no conversation in the marts yet, it says so instead of drawing empty charts.
    `choice`: the links to the other accounts' pages (account_choice), with several accounts."""
    if data.first_day is None:
        period = "no conversations built yet"
        body = ('<div class="empty">The marts hold no conversation yet: materialize the LivePerson assets and '
                'the marts of a day first.</div>')
    else:
        period = f"{data.first_day.isoformat()} to {data.last_day.isoformat()} ({timezone})"
        charts = "".join(_chart(key, figure) for key, figure in _figures(data).items())
        body = f'{_not_loaded(data)}{_tiles(data)}<div class="charts">{charts}</div>{_agents_table(data)}'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LivePerson contact center: {html.escape(period)}</title>
<style>{_STYLE}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header><h1>LivePerson contact center</h1><p id="period">{html.escape(period)}</p></header>
{choice}<main>{body}</main>
<footer>Built by liveperson-dagster from the marts in schema liveperson_marts at
{html.escape(generated_at.strftime("%Y-%m-%d %H:%M %Z"))}.</footer>
</body>
</html>
"""
