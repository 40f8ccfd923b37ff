"""The report's page without a warehouse: marts with no conversation yet, and a page written whole or not at all.
(Its figures against the emulator's records, in the browser, are in test_marts.py.)"""

from datetime import datetime, timezone

import pytest

from liveperson_dagster.report import write_atomically
from liveperson_dagster.report_data import Headline, ReportData
from liveperson_dagster.report_html import CHART_IDS, render_report


def test_marts_without_conversations_give_a_page_that_says_so():
    page = render_report(ReportData(None, None, Headline(0, 0, None, None, 0, 0.0)), "UTC",
                         datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert "The marts hold no conversation yet" in page
    assert not any(chart_id in page for chart_id in CHART_IDS.values())


def test_a_failed_write_leaves_the_previous_page_and_no_temporary_file(tmp_path):
    page = tmp_path / "report.html"
    write_atomically(page, "<p>yesterday</p>")

    with pytest.raises(TypeError):
        write_atomically(page, object())  # the write fails once the temporary file exists
    assert page.read_text() == "<p>yesterday</p>"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]
