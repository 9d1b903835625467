"""Analytics for the admin dashboard: sessions/messages per day, SOP usage, gap reports,
helpfulness by SOP and confidence accuracy (D27, D32 fixed). Needs `VIEW_ANALYTICS`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from pydantic import BaseModel

from pmo_playbook.documents.analytics import (
    CONFIDENCE_BOUNDARIES,
    ConfidenceBucket,
    DayActivity,
    GapAnalytics,
    RatingsOverview,
    SessionAnalytics,
    SopRatingRow,
    SopRatingStats,
    bucket_label,
)
from pmo_playbook.documents.common import to_iso, utc_now
from pmo_playbook.repositories.analytics import AnalyticsRepository, BucketCounts
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.sessions import require

ACTIVITY_DAYS = 7
RECENT_GAPS = 10


def require_analytics(actor: Actor) -> None:
    """401/403 unless the actor may view analytics."""
    require(actor, actor.can(Permission.VIEW_ANALYTICS), "view analytics")


def session_analytics(conn: psycopg.Connection[Any], actor: Actor) -> SessionAnalytics:
    """Sessions, messages (from the message arrays), SOP usage (from sopUsage) and per-day
    activity over the last 7 UTC days (messages by their own timestamps)."""
    require_analytics(actor)
    repo = AnalyticsRepository(conn)
    sessions, messages = repo.session_totals()
    since = utc_now() - timedelta(days=ACTIVITY_DAYS - 1)
    return SessionAnalytics(
        totalSessions=sessions,
        totalMessages=messages,
        avgMessagesPerSession=round(messages / sessions, 1) if sessions else 0,
        sopUsageFrequency={c.key: c.count for c in repo.sop_usage()},
        recentActivity=[
            DayActivity(_id=d.day, date=d.day, sessions=d.sessions, messages=d.messages)
            for d in repo.activity_since(since)
        ],
    )


def gap_analytics(conn: psycopg.Connection[Any], actor: Actor) -> GapAnalytics:
    """Gap reports: total, by status, by SOP (most first) and the 10 newest."""
    require_analytics(actor)
    repo = AnalyticsRepository(conn)
    by_status = {c.key: c.count for c in repo.gaps_by_status()}
    recent = [
        {
            "_id": g.legacy_id,
            "id": g.feedback_id,
            "feedbackId": g.feedback_id,
            "sopId": g.sop_id,
            "sopTitle": g.sop_title,
            "userComment": g.user_comment,
            "createdAt": to_iso(g.created_at),
        }
        for g in repo.recent_gaps(RECENT_GAPS)
    ]
    return GapAnalytics(
        totalReports=sum(by_status.values()),
        byStatus=by_status,
        bySOP={c.key: c.count for c in repo.gaps_by_sop()},
        recentGaps=recent,
    )


def _rate(helpful: int, total: int) -> float:
    return round(helpful * 100 / total, 1) if total else 0


def sop_rating_stats(conn: psycopg.Connection[Any], actor: Actor, sop_id: str) -> SopRatingStats:
    """Legacy getSOPStats for one SOP: helpfulnessRate "66.7" (string) or 0."""
    require_analytics(actor)
    rows = AnalyticsRepository(conn).ratings_by_sop(sop_id)
    helpful = sum(r.helpful for r in rows)
    not_helpful = sum(r.not_helpful for r in rows)
    total = sum(r.total for r in rows)
    return SopRatingStats(
        sopId=sop_id,
        helpful=helpful,
        notHelpful=not_helpful,
        total=total,
        totalRatings=total,
        helpfulnessRate=f"{helpful * 100 / total:.1f}" if total else 0,
    )


def _bucket(counts: BucketCounts | None, index: int) -> ConfidenceBucket:
    total = counts.total if counts else 0
    helpful = counts.helpful if counts else 0
    if index == 0:
        lower: float | str = "other"
        upper = None
        label = "other"
    else:
        lower = CONFIDENCE_BOUNDARIES[index - 1]
        upper = CONFIDENCE_BOUNDARIES[index]
        label = bucket_label(lower, upper)
    return ConfidenceBucket(
        _id=lower,
        confidenceRange=lower,
        upperBound=upper,
        label=label,
        total=total,
        helpful=helpful,
        helpfulnessRate=_rate(helpful, total),
    )


def confidence_accuracy(conn: psycopg.Connection[Any], actor: Actor) -> list[ConfidenceBucket]:
    """Six buckets [0,.5) [.5,.6) … [.9,1.0] (1.0 in the top one), then 'other' if any."""
    require_analytics(actor)
    found = {b.index: b for b in AnalyticsRepository(conn).confidence_buckets()}
    buckets = [_bucket(found.get(i), i) for i in range(1, len(CONFIDENCE_BOUNDARIES))]
    if 0 in found:
        buckets.append(_bucket(found[0], 0))
    return buckets


def ratings_overview(conn: psycopg.Connection[Any], actor: Actor) -> RatingsOverview:
    """`stats=all`: totals, by rating, by SOP (most rated first) and confidence accuracy."""
    require_analytics(actor)
    rows = AnalyticsRepository(conn).ratings_by_sop()
    helpful = sum(r.helpful for r in rows)
    not_helpful = sum(r.not_helpful for r in rows)
    return RatingsOverview(
        totalRatings=helpful + not_helpful,
        byRating={"helpful": helpful, "not_helpful": not_helpful},
        bySOP={
            r.key: SopRatingRow(
                _id=r.key,
                helpful=r.helpful,
                not_helpful=r.not_helpful,
                total=r.total,
                rate=_rate(r.helpful, r.total),
            )
            for r in rows
        },
        confidenceAccuracy=confidence_accuracy(conn, actor),
    )


class Dashboard(BaseModel):
    """`GET /api/analytics`: the three legacy analytics payloads in one response."""

    sessions: SessionAnalytics
    feedback: GapAnalytics
    ratings: RatingsOverview


def dashboard(conn: psycopg.Connection[Any], actor: Actor) -> Dashboard:
    """Everything the analytics page shows, in one call (the page no longer needs three)."""
    return Dashboard(
        sessions=session_analytics(conn, actor),
        feedback=gap_analytics(conn, actor),
        ratings=ratings_overview(conn, actor),
    )
