"""The legacy JSON of gap reports (`/api/user-feedback`)."""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.common import render_row
from pmo_playbook.documents.feedback import GapReport
from pmo_playbook.services.gap_reports import GapReportPage


def gap_report_json(report: GapReport) -> dict[str, Any]:
    """`_id`, the document's keys in stored order, then createdAt/updatedAt from the columns."""
    return render_row(report.legacy_id, report.data, report.created_at, report.updated_at)


def gap_report_page_json(page: GapReportPage) -> dict[str, Any]:
    """`{feedback, statusCounts (every status, then total), pagination}`."""
    return {
        "feedback": [gap_report_json(r) for r in page.reports],
        "statusCounts": {**page.status_counts, "total": page.total_reports},
        "pagination": {
            "total": page.total,
            "limit": page.limit,
            "skip": page.skip,
            "hasMore": page.has_more,
        },
    }
