"""Concept checks: every chapter has enough valid questions, and every answer is explained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from serlib.book import quiz

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p for p in (REPO / "book").glob("[0-9][0-9]_*.md"))


def test_every_numbered_chapter_from_2_has_a_quiz_file() -> None:
    numbers = {p.name[:2] for p in CHAPTERS}
    files = {p.stem for p in (REPO / "serlib" / "book" / "quizzes").glob("*.yaml")}
    assert numbers == files, f"quizzes missing {numbers - files}, orphaned {files - numbers}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_quiz_has_at_least_four_checked_questions(chapter: Path) -> None:
    questions = quiz.load_quiz(chapter.stem)  # runs the schema check
    assert len(questions) >= 4, f"{chapter.name}: at least 4 concept checks"
    for question in questions:
        if question["type"] == "multiple_choice":
            assert len(question["answers"]) >= 3, question["question"]
            assert sum(a["correct"] for a in question["answers"]) == 1


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_shows_its_quiz_just_before_the_summary(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    number = chapter.name[:2]
    call = f'show_quiz("{number}")'
    assert text.count(call) == 1, f"{chapter.name}: call {call} once"
    assert text.index(call) < text.index("\n## Summary\n"), "the quiz sits before the Summary"
    between = text[text.index(call):text.index("\n## Summary\n")]
    assert not re.search(r"^## ", between, re.M), "nothing between the quiz and the Summary"


def test_quiz_cells_survive_the_student_edition() -> None:
    """The quizzes are not solutions: stripping solutions keeps them."""
    import importlib.util

    import jupytext

    spec = importlib.util.spec_from_file_location("book_student",
                                                  REPO / "tools" / "book_student.py")
    book_student = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book_student)
    for chapter in CHAPTERS:
        student = book_student.strip_notebook(jupytext.read(chapter), where=chapter.name)
        sources = "\n".join(cell.source for cell in student.cells)
        assert f'show_quiz("{chapter.name[:2]}")' in sources, chapter.name


def _question(**extra):
    base = {"question": "Why?", "type": "multiple_choice", "answers": [
        {"answer": "A", "correct": True, "feedback": "Right, because of the reason given."},
        {"answer": "B", "correct": False, "feedback": "No, because of the other reason."}]}
    return {**base, **extra}


@pytest.mark.parametrize("broken, message", [
    (_question(answers=[{"answer": "A", "correct": True, "feedback": "Right, for a reason."},
                        {"answer": "B", "correct": False, "feedback": ""}]), "feedback"),
    (_question(answers=[{"answer": "A", "correct": True, "feedback": "Right, for a reason."},
                        {"answer": "B", "correct": True, "feedback": "Also right, somehow."}]),
     "exactly one"),
    (_question(type="essay"), "type"),
    ({"question": "n?", "type": "numeric", "answer": 1.0, "feedback": "Right, one it is here.",
      "otherwise": "Everything else is wrong."}, None),
    ({"question": "n?", "type": "numeric", "answer": 1.0, "feedback": "Right, one it is here.",
      "otherwise": "Everything else is wrong here.",
      "wrong": [{"range": [0.5, 1.5], "feedback": "This range holds the right answer."}]},
     "overlaps"),
    ({"question": "n?", "type": "numeric", "answer": 1.0, "feedback": "Right, one it is here."},
     "otherwise"),
])
def test_the_schema_names_what_is_wrong(broken: dict, message: str | None) -> None:
    if message is None:
        assert quiz.check_quiz([broken]) == [broken]
        return
    with pytest.raises(quiz.QuizError, match=message):
        quiz.check_quiz([broken], where="test.yaml")


def test_jupyterquiz_format_keeps_every_explanation() -> None:
    questions = quiz.load_quiz("05") + quiz.load_quiz("08")
    converted = quiz.to_jupyterquiz(questions)
    for question, out in zip(questions, converted, strict=True):
        feedback = [a["feedback"] for a in out["answers"]]
        assert all(len(f) >= 20 for f in feedback)
        if question["type"] == "numeric":
            assert out["answers"][-1]["type"] == "default"
            assert sum(a.get("correct", False) for a in out["answers"]) == 1


def test_fallback_html_has_one_details_per_answer_and_no_script() -> None:
    questions = quiz.load_quiz("02")
    page = quiz.quiz_html(questions)
    expected = sum(len(q["answers"]) if q["type"] == "multiple_choice"
                   else 2 + len(q.get("wrong", [])) for q in questions)
    assert page.count("<details") == expected
    assert "<script" not in page
    assert "✓" in page and "✗" in page
    numeric = quiz.quiz_html([q for q in questions if q["type"] == "numeric"])
    assert numeric.rindex("Show the answer") > numeric.rindex("If you got"), "answer last"


def test_show_quiz_without_jupyterquiz_falls_back_to_html(monkeypatch) -> None:
    import sys

    shown = []
    monkeypatch.setitem(sys.modules, "jupyterquiz", None)  # import fails
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    quiz.show_quiz("06")
    assert len(shown) == 1 and "<details" in shown[0].data


def test_the_right_answer_is_not_given_away_by_its_length() -> None:
    """A reader who always picks the longest answer should do no better than by chance."""
    longest, total = 0, 0
    for chapter in CHAPTERS:
        choice = [q for q in quiz.load_quiz(chapter.stem) if q["type"] == "multiple_choice"]
        here = sum(len(next(a["answer"] for a in q["answers"] if a["correct"]))
                   > max(len(a["answer"]) for a in q["answers"] if not a["correct"])
                   for q in choice)
        assert here <= len(choice) / 2, f"{chapter.name}: the right answer is the longest in " \
                                        f"{here} of {len(choice)} questions"
        longest, total = longest + here, total + len(choice)
    assert longest / total <= 0.4, f"the right answer is the longest in {longest} of {total}"
