"""Shapes of the analytics the admin dashboard reads (legacy keys; D27, D32 fixed).

Keys that start with an underscore in the legacy JSON (`_id`) are declared with an alias:
dump with `by_alias=True`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Lower bounds of the confidence buckets; the last bucket is [0.9, 1.0] inclusive (D32).
CONFIDENCE_BOUNDARIES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _percent(value: float) -> str:
    return f"{round(value * 100):d}"


def bucket_label(lower: float, upper: float) -> str:
    """`"0–50%"`, `"50–60%"`, …, `"90–100%"` (the legacy UI labelled [0, .5) "0–10%", D32)."""
    return f"{_percent(lower)}–{_percent(upper)}%"


class _Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class DayActivity(_Aliased):
    """Sessions with messages and messages sent on one UTC day."""

    id: str = Field(alias="_id")
    date: str
    sessions: int
    messages: int


class SessionAnalytics(BaseModel):
    """`GET /api/sessions?analytics=true`, computed from the message arrays and sopUsage (D27)."""

    totalSessions: int
    totalMessages: int
    avgMessagesPerSession: float
    sopUsageFrequency: dict[str, int]
    recentActivity: list[DayActivity]


class GapAnalytics(BaseModel):
    """`GET /api/user-feedback?analytics=true`."""

    totalReports: int
    byStatus: dict[str, int]
    bySOP: dict[str, int]
    recentGaps: list[dict[str, Any]]


class SopRatingStats(BaseModel):
    """Legacy getSOPStats: helpfulnessRate is a string with one decimal, or the number 0."""

    sopId: str
    helpful: int
    notHelpful: int
    total: int
    totalRatings: int
    helpfulnessRate: str | int


class SopRatingRow(_Aliased):
    """One entry of `bySOP` in `stats=all`; `rate` is the helpful share in percent."""

    id: str = Field(alias="_id")
    helpful: int
    not_helpful: int
    total: int
    rate: float


class ConfidenceBucket(_Aliased):
    """One confidence-accuracy bucket; `_id`/`confidenceRange` are the lower bound ('other'
    for values outside [0, 1] or missing)."""

    id: float | str = Field(alias="_id")
    confidenceRange: float | str
    upperBound: float | None
    label: str
    total: int
    helpful: int
    helpfulnessRate: float


class RatingsOverview(BaseModel):
    """`GET /api/message-feedback?stats=all`."""

    totalRatings: int
    byRating: dict[str, int]
    bySOP: dict[str, SopRatingRow]
    confidenceAccuracy: list[ConfidenceBucket]
