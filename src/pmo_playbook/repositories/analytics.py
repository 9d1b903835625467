"""Set-based SQL of the analytics (sessions, messages, gap reports, ratings): one grouped query
per figure, never a Python loop over all rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pmo_playbook.repositories.base import Repository, storage_errors

_SESSION_TOTALS = """
SELECT count(*), coalesce(sum(jsonb_array_length(
    CASE WHEN jsonb_typeof(c.data->'messages') = 'array' THEN c.data->'messages'
         ELSE '[]'::jsonb END)), 0)
FROM chat_histories c
"""
_SOP_USAGE = """
SELECT u->>'sopId' AS sop_id,
       sum(CASE WHEN jsonb_typeof(u->'usageCount') = 'number'
                THEN (u->>'usageCount')::numeric ELSE 1 END)::bigint AS uses
FROM chat_histories c
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(c.data->'sopUsage') = 'array' THEN c.data->'sopUsage'
         ELSE '[]'::jsonb END) AS u
WHERE jsonb_typeof(u) = 'object' AND u->>'sopId' IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1
"""
# Messages per UTC day from the message timestamps; sessions = sessions with a message that day.
_ACTIVITY = """
SELECT to_char(day, 'YYYY-MM-DD') AS day, count(DISTINCT session_id), count(*)
FROM (
    SELECT c.session_id,
           CASE WHEN m->>'timestamp' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)?$'
                THEN ((m->>'timestamp')::timestamptz AT TIME ZONE 'UTC')::date END AS day
    FROM chat_histories c
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(c.data->'messages') = 'array' THEN c.data->'messages'
             ELSE '[]'::jsonb END) AS e(m)
) AS t
WHERE day >= (%s AT TIME ZONE 'UTC')::date
GROUP BY day ORDER BY day DESC
"""
_GAP_BY_STATUS = "SELECT status, count(*) FROM user_feedback GROUP BY status ORDER BY 2 DESC, 1"
_GAP_BY_SOP = """
SELECT coalesce(sop_id, data->>'sopId', 'unknown'), count(*) FROM user_feedback
GROUP BY 1 ORDER BY 2 DESC, 1
"""
_GAP_RECENT = """
SELECT legacy_id, feedback_id, data->>'sopId', data->>'sopTitle', data->>'userComment',
       created_at
FROM user_feedback ORDER BY created_at DESC, id DESC LIMIT %s
"""
_RATINGS_BY_SOP = """
SELECT coalesce(sop_used, 'unknown'),
       count(*) FILTER (WHERE rating = 'helpful'),
       count(*) FILTER (WHERE rating = 'not_helpful'),
       count(*)
FROM message_feedback
WHERE %(sop)s::text IS NULL OR sop_used = %(sop)s
GROUP BY 1 ORDER BY 4 DESC, 1
"""
# Bucket index 1..6 over [0,.5,.6,.7,.8,.9] with 1.0 kept in the top bucket (D32); 0 = other.
_CONFIDENCE = """
SELECT CASE WHEN confidence IS NULL OR confidence < 0 OR confidence > 1
                 OR confidence = 'NaN'::float8 THEN 0
            ELSE width_bucket(confidence, ARRAY[0, 0.5, 0.6, 0.7, 0.8, 0.9]::float8[]) END,
       count(*), count(*) FILTER (WHERE rating = 'helpful')
FROM message_feedback GROUP BY 1 ORDER BY 1
"""


class Count(BaseModel):
    """A label and how many."""

    key: str
    count: int


class DayCount(BaseModel):
    day: str
    sessions: int
    messages: int


class RecentGap(BaseModel):
    legacy_id: str | None
    feedback_id: str
    sop_id: str | None
    sop_title: str | None
    user_comment: str | None
    created_at: datetime


class RatingCounts(BaseModel):
    key: str
    helpful: int
    not_helpful: int
    total: int


class BucketCounts(BaseModel):
    index: int  # 1..6 = bucket, 0 = other
    total: int
    helpful: int


class AnalyticsRepository(Repository):
    """Read-only aggregate queries over sessions, gap reports and ratings."""

    def _rows(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with storage_errors("compute analytics"):
            return self.conn.execute(query, params).fetchall()

    def session_totals(self) -> tuple[int, int]:
        """(sessions, messages) over all sessions."""
        row = self._rows(_SESSION_TOTALS)[0]
        return int(row[0]), int(row[1])

    def sop_usage(self) -> list[Count]:
        return [Count(key=r[0], count=r[1]) for r in self._rows(_SOP_USAGE)]

    def activity_since(self, since: datetime) -> list[DayCount]:
        rows = self._rows(_ACTIVITY, (since,))
        return [DayCount(day=r[0], sessions=r[1], messages=r[2]) for r in rows]

    def gaps_by_status(self) -> list[Count]:
        return [Count(key=r[0], count=r[1]) for r in self._rows(_GAP_BY_STATUS)]

    def gaps_by_sop(self) -> list[Count]:
        return [Count(key=r[0], count=r[1]) for r in self._rows(_GAP_BY_SOP)]

    def recent_gaps(self, limit: int) -> list[RecentGap]:
        keys = ("legacy_id", "feedback_id", "sop_id", "sop_title", "user_comment", "created_at")
        return [
            RecentGap(**dict(zip(keys, r, strict=True))) for r in self._rows(_GAP_RECENT, (limit,))
        ]

    def ratings_by_sop(self, sop_id: str | None = None) -> list[RatingCounts]:
        """Helpful / not helpful / total per SOP (only `sop_id` when given)."""
        rows = self._rows(_RATINGS_BY_SOP, {"sop": sop_id})
        return [RatingCounts(key=r[0], helpful=r[1], not_helpful=r[2], total=r[3]) for r in rows]

    def confidence_buckets(self) -> list[BucketCounts]:
        return [BucketCounts(index=r[0], total=r[1], helpful=r[2]) for r in self._rows(_CONFIDENCE)]
