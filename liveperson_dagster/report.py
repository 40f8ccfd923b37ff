"""The contact-center report: an asset of the group `liveperson_marts`, downstream of the marts it reads, that
writes one self-contained HTML page (report_html.py) next to the warehouse and links it from its materialization,
with the headline figures in the metadata too.

It covers the last `days` days the marts hold (run config, 30 by default). The page is written to a temporary
file beside it and moved into place, so a reader never sees half a page and a failed run leaves the previous one."""

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Dict, Optional
from zoneinfo import ZoneInfo

from dagster import (
    AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, Config, MaterializeResult, MetadataValue, multi_asset,
)
from pydantic import Field

from .constants import MARTS_GROUP, POOL
from .report_data import ReportData, read_report_data
from .resources import LivePersonWarehouse
from .runs.run_owners import claim_run

REPORT_KEY = AssetKey([MARTS_GROUP, "contact_center_report"])
READS = ("fct_conversations", "fct_skill_daily", "fct_agent_status_daily", "dim_skills", "dim_agents")


class ReportConfig(Config):
    days: int = Field(default=30, ge=1, le=400, description="Days the report covers, ending with the latest day "
                                                            "the marts hold")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _rounded(value: Optional[float], digits: int = 2) -> Optional[float]:
    return None if value is None else round(value, digits)


def report_metadata(data: ReportData, path: Path) -> dict:
    headline = data.headline
    figures = {
        "first_day": data.first_day.isoformat() if data.first_day else None,
        "last_day": data.last_day.isoformat() if data.last_day else None,
        "conversations": headline.conversations,
        "closed": headline.closed,
        "median_first_response_seconds": _rounded(headline.median_first_response_seconds, 1),
        "median_first_response_business_seconds": _rounded(headline.median_first_response_business_seconds, 1),
        "avg_csat": _rounded(headline.avg_csat),
        "csat_answers": headline.csat_answers,
        "agent_hours_online": round(headline.agent_hours_online, 1),
    }
    return {
        "report": MetadataValue.path(str(path)),
        "report_url": MetadataValue.url(path.as_uri()),
        # Dagster shows no metadata entry whose value is None.
        **{name: value for name, value in figures.items() if value is not None},
    }


ALL_ACCOUNTS = "all accounts"


def account_pages(report: Path, accounts: Dict[str, str]) -> Dict[str, Path]:
    """Several accounts: the page of all accounts (`report`), then one per account beside it
    (`liveperson_report_<name>.html`)."""
    return {ALL_ACCOUNTS: report, **{name: report.with_name(f"{report.stem}_{name}{report.suffix}")
                                     for name in accounts}}


def build_report_asset(timezone: str, accounts: Optional[Dict[str, str]] = None):
    """`accounts`: with several accounts, their names and time zones: a page of all accounts and one per account,
    each linking to the others."""
    # A multi_asset of one spec: `@asset`'s backfill_policy parameter is beta in Dagster 1.13 and warns at every load.
    @multi_asset(
        specs=[AssetSpec(
            REPORT_KEY,
            group_name=MARTS_GROUP,
            deps=[AssetKey([MARTS_GROUP, name]) for name in READS],
            description="An HTML page of the contact center's last days (conversations per day and skill, "
                        "first-response times in calendar and business hours, service level by day and skill, CSAT "
                        "trend, agent time by status, busiest agents, days not loaded), self-contained "
                        "(opens offline), written next to the warehouse (LIVEPERSON_REPORT_PATH); its path and "
                        "headline figures are in the metadata.",
            kinds={"html"},
        )],
        name="liveperson_contact_center_report",
        pool=POOL,
        # Unpartitioned, and in range runs of the marts it follows (`--partition-range` wants every asset single-run).
        backfill_policy=BackfillPolicy.single_run(),
    )
    def contact_center_report(context: AssetExecutionContext, config: ReportConfig,
                              warehouse: LivePersonWarehouse) -> MaterializeResult:
        # Plotly is imported by the report's run only, not by every command that loads the definitions.
        from .report_html import account_choice, render_report

        claim_run(context)
        path = warehouse.report_file()
        if not accounts:
            with warehouse.sql_client(f"run {context.run.run_id[:8]} (report)", context.log.info) as client:
                data = read_report_data(client, config.days)
            write_atomically(path, render_report(data, timezone, datetime.now(ZoneInfo(timezone))))
            context.log.info(f"Report of {data.first_day} .. {data.last_day} written to {path}")
            return MaterializeResult(metadata=report_metadata(data, path))
        pages = account_pages(path, accounts)
        with warehouse.sql_client(f"run {context.run.run_id[:8]} (report)", context.log.info) as client:
            figures = {name: read_report_data(client, config.days, None if name == ALL_ACCOUNTS else name)
                       for name in pages}
        metadata = report_metadata(figures[ALL_ACCOUNTS], path)
        for name, page in pages.items():
            zone = accounts.get(name, timezone)
            choice = account_choice({label: file.name for label, file in pages.items()}, name)
            write_atomically(page, render_report(figures[name], zone if name in accounts else "each account's zone",
                                                 datetime.now(ZoneInfo(zone)), choice))
            if name in accounts:
                metadata[f"{name}_report"] = MetadataValue.path(str(page))
                metadata[f"{name}_conversations"] = MetadataValue.int(figures[name].headline.conversations)
        context.log.info(f"Report pages of {', '.join(pages)} written beside {path}")
        return MaterializeResult(metadata=metadata)

    return contact_center_report
