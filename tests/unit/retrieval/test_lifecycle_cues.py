"""Round 2 of the lifecycle cues and the domain verdict (pure functions, no database).

Completed milestones place the asker in the NEXT stage, planning intent in the planning stage,
work outside the agreed scope in delivery; the out-of-scope veto yields to a PM-process anchor
only for soft terms (a subject or a file format).
"""

from __future__ import annotations

import pytest

from pmo_playbook.ai.domain import assess
from pmo_playbook.ai.stage_cues import stage_cues
from pmo_playbook.ai.thesaurus import concepts, normalize


@pytest.mark.parametrize(
    ("phrase", "stage"),
    [
        (
            "the charter is signed and the kick-off is done, now I need a schedule",
            "design and plan",
        ),
        ("now that the scope is agreed, what comes next", "design and plan"),
        ("the business case was approved, what do we do", "initiation"),
        ("once we signed off the business case", "initiation"),
        ("the baseline schedule has been approved, how do I keep control", "implement and control"),
        ("the rollout finished and the users are happy", "close"),
        ("the kick-off went well, what comes next", "design and plan"),
    ],
)
def test_a_completed_milestone_points_to_the_next_stage(phrase: str, stage: str) -> None:
    cues = stage_cues(phrase)
    assert stage in cues


@pytest.mark.parametrize(
    "phrase",
    [
        "the charter is not signed yet",
        "how do I get the charter signed",
        "who signs the charter",
        "how to update the project plan when things change",
        "the project plan template",
    ],
)
def test_milestones_not_yet_done_do_not_cue(phrase: str) -> None:
    assert stage_cues(phrase) == {}


def test_the_named_milestone_stage_is_not_cued_by_its_completion() -> None:
    assert "initiation" not in stage_cues("the charter is signed, what now")


@pytest.mark.parametrize(
    "phrase",
    [
        "plan how we will keep the stakeholders informed",
        "we need to agree what good quality looks like before the work starts",
        "how should we decide how often to report and through which channels",
        "plan the budget and get finance to confirm it",
        "set the acceptance criteria before we start building",
    ],
)
def test_planning_intent_points_to_planning(phrase: str) -> None:
    assert "design and plan" in stage_cues(phrase)


@pytest.mark.parametrize(
    "phrase",
    [
        "the team starts doing work that was never in the agreed scope",
        "developers keep adding extra features",
        "the supplier is building things nobody approved",
    ],
)
def test_work_outside_the_agreed_scope_is_a_delivery_situation(phrase: str) -> None:
    assert "implement and control" in stage_cues(phrase)


@pytest.mark.parametrize(
    "question",
    [
        "is there a template for the project charter, in Word or PDF?",
        "how do I write the business case for a new HR payroll system project?",
        "which stakeholders approve the subscription costs in the business case",
        "close the books at project closure",
    ],
)
def test_soft_out_of_scope_terms_yield_to_a_process_anchor(question: str) -> None:
    verdict = assess(question)
    assert verdict.out_of_scope is None
    assert verdict.in_domain


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("convert this Excel sheet to PDF", "pdf"),  # soft term, no process anchor
        ("export a Gantt chart from MS Project to PDF", "pdf"),  # Gantt/project are not enough
        ("how do I submit my travel expenses for reimbursement", "reimbursement"),
        ("how many days of annual leave do I have left", "annual leave"),
        ("best laptop for running MS Project", "laptop"),  # hard term
        ("PMP certification for a project sponsor", "pmp"),  # hard term beats the anchor
        ("draft a tweet announcing our project milestone", "tweet"),
        ("save the steering committee deck as PDF on my laptop", "laptop"),  # hard + soft
        ("what is the weather for the go-live tomorrow", "weather"),
        ("a recipe for the kick-off lunch", "recipe"),
        ("reset my password for the risk register", "password"),
        ("recommend a good book on leadership", "book"),
    ],
)
def test_hard_terms_and_unanchored_soft_terms_still_refuse(question: str, term: str) -> None:
    verdict = assess(question)
    assert verdict.out_of_scope == term
    assert not verdict.in_domain


@pytest.mark.parametrize(
    "phrase",
    ["once the project team leaves", "after the team is disbanded", "when our team rolls off"],
)
def test_the_team_leaving_is_the_end_of_the_project(phrase: str) -> None:
    assert "close" in stage_cues(phrase)


def test_inflected_planning_verbs_cue_planning() -> None:
    assert "design and plan" in stage_cues("deciding how often to update stakeholders")
    assert "design and plan" in stage_cues("how should I plan cover for a key developer")


def test_everyday_paraphrases_join_their_concept_rings() -> None:
    lessons = concepts(normalize("a session on what went well and what did not go well"))[0]
    assert "zklessons" in lessons
    assert "zkissue" in concepts(normalize("when should a problem be raised to the sponsor"))[0]
    assert "zkissue" not in concepts(normalize("we raised the budget"))[0]


@pytest.mark.parametrize(
    ("phrase", "stage"),
    [
        ("marketing has an initiative they want funded", "pre-initiation"),
        ("how do they ask for it to become a project", "pre-initiation"),
        ("when do I escalate an issue to the sponsor", "implement and control"),
        ("a concern was raised by the supplier", "implement and control"),
        ("how do I lay the work out week by week", "design and plan"),
    ],
)
def test_seeking_funding_escalating_and_laying_out_work_cue_their_stage(
    phrase: str, stage: str
) -> None:
    assert stage in stage_cues(phrase)


@pytest.mark.parametrize(
    ("phrase", "token"),
    [
        ("how do we score competing requests", "zkprioritise"),
        ("did the project deliver the value promised", "zkbenefits"),
        ("which tasks drive the end date", "zkschedule"),
        ("sequence the activities", "zkschedule"),
        ("how long will each piece of work take", "zkschedule"),
    ],
)
def test_paraphrases_of_pm_concepts_join_their_rings(phrase: str, token: str) -> None:
    assert token in concepts(normalize(phrase))[0]


def test_before_the_project_starts_delivering_is_planning_not_pre_initiation() -> None:
    cues = stage_cues("agree how risks are handled before the project starts delivering")
    assert "design and plan" in cues and "pre-initiation" not in cues
    assert "pre-initiation" in stage_cues("before the project starts, who approves it")


def test_a_positive_gate_outcome_is_a_completed_milestone() -> None:
    assert "initiation" in stage_cues("the go/no-go decision came back positive")
    assert "initiation" not in stage_cues("the go/no-go decision is pending")


def test_deciding_how_we_will_do_something_is_planning() -> None:
    assert "design and plan" in stage_cues("how do we decide how we will measure quality")


def test_people_affected_by_the_project_are_stakeholders() -> None:
    assert "zkstakeholder" in concepts(normalize("list everyone affected by the project"))[0]
    assert "zkstakeholder" in concepts(normalize("who is impacted when we switch"))[0]


@pytest.mark.parametrize(
    "phrase",
    [
        "the developers started adding features that were not requested",
        "a risk we logged has now become a real problem",
        "how often should we meet while we deliver",
    ],
)
def test_more_delivery_situations(phrase: str) -> None:
    assert "implement and control" in stage_cues(phrase)


def test_go_or_no_go_is_the_go_no_go_decision() -> None:
    assert "zkgonogo" in concepts(normalize("so they can say go or no go"))[0]
