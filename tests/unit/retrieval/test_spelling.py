"""Misspelt question words corrected to the library's vocabulary, real words left alone."""

from __future__ import annotations

from pmo_playbook.ai.spelling import Speller

LIBRARY = [
    "Update the RAID log and the budget of the project.",
    "Draft the preliminary business case; gather requirements for a formal review.",
]
DICTIONARY = {"update", "budget", "project", "normal", "rather", "formal", "gather", "the"}


def test_one_edit_slips_are_corrected_to_library_words() -> None:
    speller = Speller(LIBRARY, DICTIONARY)
    assert speller.correct("we are over budjet") == "we are over budget"  # substitution
    assert speller.correct("updte the projct") == "update the project"  # deletions
    assert speller.correct("prelimnary busines case") == "preliminary business case"
    assert speller.correct("the projetc log") == "the project log"  # transposition


def test_dictionary_words_and_short_words_are_left_alone() -> None:
    speller = Speller(LIBRARY, DICTIONARY)
    # "normal" and "rather" are one edit from library words but are real words.
    assert speller.correct("a normal review, rather late") == "a normal review, rather late"
    assert speller.correct("logg") == "logg"  # under MIN_LENGTH letters


def test_ambiguous_or_distant_words_are_not_guessed() -> None:
    speller = Speller(["cart card care"], set())
    assert speller.correct("carts") == "carts"  # no dictionary: nothing is corrected
    speller = Speller(["planned planner"], {"planned"})
    assert speller.correction("plannet") is None  # two candidates one edit away
    assert speller.correction("plxxxed") is None
