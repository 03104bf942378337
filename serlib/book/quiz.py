"""Concept checks: a chapter's questions, checked, and shown as a clickable quiz.

Each chapter's questions live in ``serlib/book/quizzes/NN.yaml`` (installed with serlib, so
a Colab notebook finds them too). A question is multiple-choice or numeric, and **every**
answer a reader can give has an explanation::

    - question: Why does this chapter report UAR beside WA?
      type: multiple_choice
      answers:
        - answer: The classes are imbalanced.
          correct: true
          feedback: Right: UAR weights every emotion alike ...
        - answer: UAR is cheaper to compute.
          correct: false
          feedback: No: both come from the same confusion matrix ...
    - question: What is the chance-level UAR with 5 classes?
      type: numeric
      answer: 0.2
      tolerance: 0.005
      feedback: Right: 1/C whatever the class shares.
      wrong:                       # the mistakes we expect, each explained
        - range: [0.3, 0.5]
          feedback: That is a majority share, the chance level of WA ...
      otherwise: Chance UAR is 1/C ...   # any other value

:func:`show_quiz` renders them with ``jupyterquiz`` where it is installed (the book's build:
the quiz survives into the static HTML and needs no server) and otherwise as plain HTML with
one ``<details>`` per answer (a Colab or Jupyter without jupyterquiz), so the same cell works
everywhere. Nothing is recorded: these checks are for the reader, not for grading.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import html
import importlib.resources
import math
import random
import re
from typing import Any

import yaml

__all__ = ["QuizError", "check_quiz", "load_quiz", "quiz_html", "show_quiz", "to_jupyterquiz"]

_TYPES = ("multiple_choice", "numeric")


class QuizError(ValueError):
    """A quiz file breaks the schema (a choice without an explanation, no correct answer...)."""


def _fail(where: str, index: int, message: str) -> None:
    raise QuizError(f"{where}, question {index + 1}: {message}")


def _check_choice(where: str, index: int, question: dict) -> None:
    answers = question.get("answers")
    if not isinstance(answers, list) or len(answers) < 2:
        _fail(where, index, "a multiple-choice question needs a list of at least 2 `answers`")
    for answer in answers:
        unknown = set(answer) - {"answer", "correct", "feedback"}
        if unknown:
            _fail(where, index, f"unknown answer keys {sorted(unknown)}")
        if not str(answer.get("answer", "")).strip():
            _fail(where, index, "an answer has no text")
        if not isinstance(answer.get("correct"), bool):
            _fail(where, index, f"answer {answer['answer']!r}: `correct` must be true or false")
        if len(str(answer.get("feedback", "")).strip()) < 20:
            _fail(where, index, f"answer {answer['answer']!r} needs a `feedback` that explains "
                                "why it is right or wrong (a sentence, not a word)")
    if sum(answer["correct"] for answer in answers) != 1:
        _fail(where, index, "exactly one answer must be `correct: true`")
    if len({str(answer["answer"]) for answer in answers}) != len(answers):
        _fail(where, index, "two answers have the same text")


def _check_numeric(where: str, index: int, question: dict) -> None:
    value, tolerance = question.get("answer"), question.get("tolerance", 0)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(where, index, "a numeric question needs a finite number as `answer`")
    if not isinstance(tolerance, (int, float)) or tolerance < 0:
        _fail(where, index, "`tolerance` must be a number >= 0")
    for key in ("feedback", "otherwise"):
        if len(str(question.get(key, "")).strip()) < 20:
            _fail(where, index, f"a numeric question needs `{key}` (the explanation of the "
                                f"{'right answer' if key == 'feedback' else 'other answers'})")
    for wrong in question.get("wrong", []):
        low, high = wrong.get("range", [None, None])
        if not all(isinstance(v, (int, float)) for v in (low, high)) or low > high:
            _fail(where, index, "each `wrong` entry needs `range: [low, high]`")
        if value - tolerance <= high and low <= value + tolerance:
            _fail(where, index, f"wrong range {[low, high]} overlaps the right answer")
        if len(str(wrong.get("feedback", "")).strip()) < 20:
            _fail(where, index, f"wrong range {[low, high]} needs a `feedback`")


def check_quiz(questions: Any, where: str = "quiz") -> list[dict]:
    """Check a chapter's questions against the schema (module docstring); return them.

    Raises:
        QuizError: naming the file, the question and what to fix.
    """
    if not isinstance(questions, list) or not questions:
        raise QuizError(f"{where}: expected a non-empty list of questions")
    for index, question in enumerate(questions):
        if not isinstance(question, dict) or not str(question.get("question", "")).strip():
            _fail(where, index, "each question needs a `question` text")
        kind = question.get("type")
        if kind not in _TYPES:
            _fail(where, index, f"`type` is {kind!r}; use one of {_TYPES}")
        (_check_choice if kind == "multiple_choice" else _check_numeric)(where, index, question)
    return questions


def load_quiz(chapter: str) -> list[dict]:
    """The checked questions of chapter ``chapter`` (``"06"`` or ``"06_cross_lingual_gap"``).

    Raises:
        QuizError: no quiz file for the chapter, or one that breaks the schema.
    """
    number = str(chapter).split("_")[0].zfill(2)
    resource = importlib.resources.files("serlib.book") / "quizzes" / f"{number}.yaml"
    if not resource.is_file():
        raise QuizError(f"no concept checks for chapter {chapter!r}: expected "
                        f"serlib/book/quizzes/{number}.yaml")
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return check_quiz(data, where=f"serlib/book/quizzes/{number}.yaml")


def _inline(text: Any) -> str:
    """Escaped HTML of a question's text, with `code` spans (both renderers show HTML)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(text)))


def to_jupyterquiz(questions: list[dict]) -> list[dict]:
    """The questions in jupyterquiz's JSON format (its ``display_quiz`` takes the list)."""
    out = []
    for question in questions:
        if question["type"] == "multiple_choice":
            out.append({"question": _inline(question["question"]), "type": "multiple_choice",
                        "answers": [{"answer": _inline(a["answer"]), "correct": a["correct"],
                                     "feedback": _inline(a["feedback"])}
                                    for a in question["answers"]]})
            continue
        value, tolerance = question["answer"], question.get("tolerance", 0)
        right = ({"type": "range", "range": [value - tolerance, value + tolerance]}
                 if tolerance else {"type": "value", "value": value})
        answers = [dict(right, correct=True, feedback=_inline(question["feedback"]))]
        answers += [{"type": "range", "range": list(w["range"]), "correct": False,
                     "feedback": _inline(w["feedback"])} for w in question.get("wrong", [])]
        answers.append({"type": "default", "feedback": _inline(question["otherwise"])})
        out.append({"question": _inline(question["question"]), "type": "numeric",
                    "precision": question.get("precision", 4), "answers": answers})
    return out


def quiz_html(questions: list[dict], *, shuffle: bool = True) -> str:
    """The questions as self-contained HTML without scripts: one ``<details>`` per answer,
    which opens on a click to say whether the answer is right (✓) or not (✗), and why.

    Multiple-choice answers are shuffled (the same order on every run: seeded by the
    question); a numeric question lists the expected mistakes first and the answer last.
    """
    parts = ['<div class="serlib-quiz" style="max-width:720px">']
    for number, question in enumerate(questions, start=1):
        parts.append(f'<p style="font-weight:bold;margin:1em 0 .3em">{number}. '
                     f"{_inline(question['question'])}</p>")
        if question["type"] == "multiple_choice":
            choices = [(a["answer"], a["correct"], a["feedback"]) for a in question["answers"]]
            if shuffle:
                random.Random(question["question"]).shuffle(choices)
        else:
            low = question["answer"] - question.get("tolerance", 0)
            high = question["answer"] + question.get("tolerance", 0)
            shown = f"{question['answer']:g}" if low == high else f"{low:g} to {high:g}"
            choices = [(f"If you got {w['range'][0]:g} to {w['range'][1]:g}", False,
                        w["feedback"]) for w in question.get("wrong", [])]
            choices.append(("If you got something else", False, question["otherwise"]))
            choices.append(("Show the answer", True, f"{shown}. {question['feedback']}"))
        for text, correct, feedback in choices:
            mark, colour = ("✓", "#1b7f3b") if correct else ("✗", "#b3261e")
            parts.append(
                '<details style="margin:.2em 0;padding:.3em .6em;border:1px solid #ccc;'
                f'border-radius:6px"><summary style="cursor:pointer">{_inline(text)}</summary>'
                f'<p style="margin:.4em 0 0"><b style="color:{colour}">{mark}</b> '
                f"{_inline(feedback)}</p></details>")
    parts.append("</div>")
    return "\n".join(parts)


def show_quiz(chapter: str, *, shuffle: bool = True) -> None:
    """Show chapter ``chapter``'s concept checks (jupyterquiz if installed, else plain HTML).

    Args:
        chapter: ``"06"`` or the chapter's file stem.
        shuffle: shuffle the answers of each question (jupyterquiz only).
    """
    from IPython.display import HTML, display

    questions = load_quiz(chapter)
    try:
        from jupyterquiz import display_quiz
    except ImportError:  # Colab or a plain Jupyter without jupyterquiz: no script needed
        display(HTML(quiz_html(questions, shuffle=shuffle)))
        return
    display_quiz(to_jupyterquiz(questions), shuffle_answers=shuffle, max_width=720,
                 colors="fdsp")
