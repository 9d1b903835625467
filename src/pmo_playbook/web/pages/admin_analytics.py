"""Admin analytics: summary cards and server-side SVG charts (usage per SOP, helpfulness,
confidence vs accuracy, activity over time), from the one `services.analytics.dashboard` call.
Every part copes with no data (D33)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pmo_playbook.services.analytics import Dashboard, dashboard
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import admin_render, require_login
from pmo_playbook.web.pages.charts import Bar, bar_chart, column_chart
from pmo_playbook.web.pages.shell import build_shell

router = APIRouter(include_in_schema=False)


def _title(titles: dict[str, str], sop_id: str) -> str:
    return f"{sop_id} {titles[sop_id]}" if sop_id in titles else sop_id


def analytics_view(data: Dashboard, titles: dict[str, str]) -> dict[str, Any]:
    """Cards, charts and tables of the analytics page."""
    s, f, r = data.sessions, data.feedback, data.ratings
    usage = sorted(s.sopUsageFrequency.items(), key=lambda kv: (-kv[1], kv[0]))
    gaps = sorted(f.bySOP.items(), key=lambda kv: (-kv[1], kv[0]))
    helpful_rows = list(r.bySOP.values())
    days = [d.date for d in s.recentActivity]
    return {
        "cards": [
            ("Total Gap Reports", f.totalReports),
            ("Message Ratings", r.totalRatings),
            ("Total Sessions", s.totalSessions),
            ("Avg Messages/Session", s.avgMessagesPerSession),
        ],
        "usage_chart": bar_chart(
            "SOP Usage Frequency", [Bar(_title(titles, k), v, f"{v} uses") for k, v in usage]
        ),
        "gaps_chart": bar_chart(
            "Gap Reports by SOP", [Bar(_title(titles, k), v, f"{v} reports") for k, v in gaps]
        ),
        "helpfulness_chart": bar_chart(
            "Helpfulness by SOP",
            [
                Bar(_title(titles, row.id), row.rate, f"{row.rate:g}% of {row.total}", "ok")
                for row in helpful_rows
            ],
            maximum=100,
        ),
        "confidence_chart": bar_chart(
            "Confidence vs Accuracy",
            [
                Bar(b.label, b.helpfulnessRate, f"{b.helpfulnessRate:g}% of {b.total}")
                for b in r.confidenceAccuracy
                if b.total
            ],
            maximum=100,
        ),
        "activity_chart": column_chart(
            "Recent Activity",
            days,
            [
                ("sessions", [float(d.sessions) for d in s.recentActivity]),
                ("messages", [float(d.messages) for d in s.recentActivity]),
            ],
        ),
        "helpful_total": r.byRating.get("helpful", 0),
        "not_helpful_total": r.byRating.get("not_helpful", 0),
        "helpful_rows": [
            {
                "sop": _title(titles, row.id),
                "rate": row.rate,
                "up": row.helpful,
                "down": row.not_helpful,
                "total": row.total,
            }
            for row in helpful_rows
        ],
        "buckets": r.confidenceAccuracy,
        "recent_gaps": f.recentGaps[:5],
        "activity": s.recentActivity,
    }


@router.get("/admin/analytics", response_model=None)
def analytics_page(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The analytics dashboard (VIEW_ANALYTICS, checked by the service)."""
    require_login(actor)
    data = dashboard(conn, actor)
    titles = {t.sop_id: t.title for t in build_shell(conn, actor, settings).sops}
    context = analytics_view(data, titles)
    return admin_render(
        request, conn, actor, settings, "analytics", "admin/analytics.html", context
    )
