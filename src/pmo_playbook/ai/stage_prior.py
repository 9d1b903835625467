"""Apply the learned lifecycle-stage prior (`stage_classifier`) to retrieval's pick.

When the classifier's most probable class is a lifecycle stage with probability at least the
active threshold, the SOP of that stage (matched like `stage_cues` does, by
`lifecycle_glossary.stage_of`: phase, else title; never by id) becomes the pick. If no indexed
SOP has that stage, or the top class is off-topic, the pick is left alone: the off-topic class
never refuses on its own (the domain verdict decides refusals; retrieval skips the prior for
questions the verdict puts out of scope).

The prior moves a pick only when it is clearly surer than the retrieval (`PRIOR_MARGIN`), and
rescues a would-be refusal only for an in-domain question, or when the prior itself is at least
`RESCUE_MIN` sure of a stage (never for a question out of scope: retrieval skips the prior).
Confidence stays a probability: when the prior confirms the pick, the larger of the two
estimates; when it overrides the pick, the classifier's probability of that stage.
"""

from __future__ import annotations

from pmo_playbook.ai import stage_classifier
from pmo_playbook.ai.lifecycle_glossary import STAGES, stage_of

# The prior moves a pick only when its probability beats the retrieval's confidence by this
# much (chosen with the threshold by leave-one-set-out, see docs/chat.md).
PRIOR_MARGIN = 0.2
# A stage probability at least this high counts as the question being about a project even when
# the domain verdict's anchors are too weak to say so ("when is the PM assigned"); None: only
# the domain verdict rescues. 0.8 by leave-one-set-out over all lists (docs/chat.md): pooled
# full-text 666 -> 671 of 698, hybrid 675 -> 677, off-topic refusal unchanged (196 of 200).
RESCUE_MIN: float | None = 0.8
_STAGE_NAMES = tuple(STAGES)  # stage N (the playbook's phase numbering) is _STAGE_NAMES[N - 1]


def _sop_of_stage(headers: dict[str, tuple[str, int]], stage: int, order: list[str]) -> str | None:
    """The SOP of lifecycle stage `stage`: the best ranked one when several have it."""
    name = _STAGE_NAMES[stage - 1]
    matching = sorted(
        i for i, (title, phase) in headers.items() if stage_of(int(phase), title) == name
    )
    if not matching:
        return None
    rank = {sop_id: n for n, sop_id in enumerate(order)}
    return min(matching, key=lambda i: (rank.get(i, len(rank)), i))


def apply(
    headers: dict[str, tuple[str, int]],
    question: str,
    vector: list[float] | None,
    state: tuple[list[str], float, bool],
    features: dict[str, float],
    *,
    refusal: float,
    in_domain: bool,
) -> tuple[list[str], float, bool]:
    """`state` = (order, confidence, closest) after the prior. The prior acts when its top
    stage probability p is at least the threshold; it moves the pick only when p also exceeds
    the retrieval's own confidence by `PRIOR_MARGIN`, and turns a refusal (confidence below
    `refusal`) into an answer only for a question the domain verdict calls in-domain or whose
    stage probability is at least `RESCUE_MIN`. Records
    `prior` (p), `prior_stage` (0 = off-topic) and `prior_applied` in `features`."""
    order, confidence, closest = state
    model, threshold = stage_classifier.active()
    if model is None:
        return state
    probs = model.probabilities(question, vector)
    top = max(probs, key=lambda c: probs[c])
    p = probs[top]
    features.update(prior=round(p, 4), prior_stage=float(top or 0), prior_applied=0.0)
    rescuable = in_domain or (RESCUE_MIN is not None and p >= RESCUE_MIN)
    if top is None or p < threshold or (confidence < refusal and not rescuable):
        return state
    chosen = _sop_of_stage(headers, top, order)
    if chosen is None:
        return state
    if order and order[0] == chosen:
        features["prior_applied"] = 1.0
        return order, max(confidence, p), closest and p <= confidence
    if p < confidence + PRIOR_MARGIN:
        return state
    features["prior_applied"] = 1.0
    return [chosen] + [i for i in order if i != chosen], p, False
