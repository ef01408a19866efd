"""What a student reads about a run with hidden inputs in reach speaks from a fixed vocabulary
(hw3.cases.vocabulary): whatever words the student's code chose, in a message, an exception's
type name or a Missing message, none reaches the student."""

from __future__ import annotations

from hw3.cases import Crash, feedback, vocabulary
from hw3.cases.activations import STABLE_HINT
from hw3.cases.checking import Verdict
from hw3.grading.registry import grader

CASES = grader().cases  # the trusted side: hidden cases and their hints

SECRET = "SECRET-INPUT [0.125, -3.5]"
HIDDEN = CASES["sigmoid.stable"]
PUBLIC = CASES["sigmoid.values"]


def test_a_made_up_exception_name_is_not_repeated():
    text = feedback(HIDDEN, Crash(False, SECRET, "", SECRET))
    assert "SECRET" not in text and vocabulary.UNNAMED in text


def test_pythons_own_exception_names_are_said():
    assert "raised ZeroDivisionError." in feedback(HIDDEN, Crash(False, SECRET, "",
                                                                "ZeroDivisionError"))


def test_a_missing_message_of_the_students_own_is_not_repeated():
    assert "SECRET" not in feedback(HIDDEN, Crash(False, SECRET, "", "Missing"))
    said = feedback(HIDDEN, Crash(False, "`sigmoid` is not defined.", "", "Missing"))
    assert "`sigmoid` is not defined." in said


def test_a_hint_is_shown_only_if_it_is_one_of_the_checks_own_sentences():
    assert STABLE_HINT in feedback(HIDDEN, Verdict.fail(SECRET, STABLE_HINT))
    text = feedback(HIDDEN, Verdict.fail(SECRET, f"{STABLE_HINT} {SECRET}"))
    assert "SECRET" not in text and text == f"Hidden test failed: {HIDDEN.description}."


def test_a_public_case_of_a_graded_run_says_its_property_not_its_message():
    verdict = Verdict.fail(f"sigmoid(2) should be 0.88, got {SECRET}.", STABLE_HINT)
    graded = feedback(PUBLIC, verdict, graded=True)
    assert "SECRET" not in graded and PUBLIC.description in graded and STABLE_HINT in graded
    # In the student's own grader.check (public inputs only) the message is whole.
    assert SECRET in feedback(PUBLIC, verdict)


def test_the_vocabulary_holds_the_judges_hints_but_no_formatted_text():
    words = vocabulary.sentences()
    assert STABLE_HINT in words
    assert "your function returned a list where a NumPy array is expected." in words
    # A judge's formatted message (an f-string) is never a sentence of it.
    assert not any(w.startswith("sigmoid(") and "should be" in w for w in words)
    assert not any(w.startswith("your function returned a sequence of") for w in words)
