"""Check cells: run a student's function on fixed cases and say in words what is wrong.

Every chapter (2–11) ends its exercises with one the student completes: a code stub (a
function whose body raises ``NotImplementedError``) followed by a *check cell*::

    from serlib.book.checks import check
    check("ex-05-5", uar_from_confusion)

:func:`check` prints a report: ``PASS`` with the cases it tried, or ``FAIL`` with one line per
problem (the shape it got, the value on a named case and the one expected, a speaker found in
two splits), never a bare ``False``. An untouched stub prints ``FAIL ... not written yet`` and
does not raise, so the student edition runs to the end; a function that is written but wrong
raises :class:`ExerciseCheckFailed` with the same report, so the book's build fails when a
reference solution stops passing its own check. The autograder (``tools/autograde.py``) calls
:func:`evaluate` on the student's namespace instead.

The cases live in ``serlib.book.exercises`` (one function per exercise, registered in
:data:`CHECKS`). Like the rest of ``serlib.book`` nothing here imports the library.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from serlib.book.exercises import CASES

__all__ = ["CHECKS", "CheckResult", "ExerciseCheck", "ExerciseCheckFailed", "check",
           "evaluate", "evaluate_namespace"]


class ExerciseCheckFailed(AssertionError):
    """A student's function is written but gives a wrong answer; the message says which."""


class _Stub(BaseException):  # not an Exception: the cases' `except Exception` let it pass
    """The function still raises ``NotImplementedError``: the exercise is not done."""


@dataclass(frozen=True)
class ExerciseCheck:
    """One exercise that a check cell verifies.

    Attributes:
        exercise: its label in the book (``ex-05-5``).
        function: the name of the function the student writes.
        points: what the autograder gives for passing it.
        cases: runs the function on fixed cases and returns the problems found, in words.
    """

    exercise: str
    function: str
    points: int
    cases: Callable[[Callable], list[str]] = field(repr=False)

    @property
    def chapter(self) -> str:
        """The chapter's number (``"05"``)."""
        return self.exercise.split("-")[1]


@dataclass(frozen=True)
class CheckResult:
    """What a check found: passed, a stub, or the problems in words."""

    exercise: str
    function: str
    passed: bool
    stub: bool
    problems: tuple[str, ...]
    points: float
    max_points: int

    def report(self) -> str:
        """The text a check cell prints."""
        head = f"{self.exercise}, `{self.function}`"
        if self.passed:
            return f"PASS {head}: every case gives the expected answer."
        if self.stub:
            return (f"FAIL {head}: not written yet (it still raises NotImplementedError).\n"
                    "Replace the body of the function, then run this cell again.")
        lines = [f"FAIL {head}: {len(self.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


CHECKS: dict[str, ExerciseCheck] = {
    exercise: ExerciseCheck(exercise, function, points, cases)
    for exercise, (function, points, cases) in CASES.items()}


def _alarm(seconds: float | None):
    """A context that raises TimeoutError after ``seconds`` (main thread, POSIX only)."""

    class _Limit:
        def __enter__(self):
            self.on = bool(seconds) and hasattr(signal, "setitimer")
            if self.on:
                def stop(signum, frame):
                    raise TimeoutError(f"took longer than {seconds:g} s")
                try:
                    self.old = signal.signal(signal.SIGALRM, stop)
                except ValueError:  # not the main thread: no limit
                    self.on = False
                    return self
                signal.setitimer(signal.ITIMER_REAL, seconds)
            return self

        def __exit__(self, *exc):
            if self.on:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, self.old)
            return False

    return _Limit()


def evaluate(exercise: str, function: Callable | None, *,
             time_limit: float | None = None) -> CheckResult:
    """Run the check of ``exercise`` on ``function`` and return what it found (prints nothing).

    Args:
        exercise: the exercise's label (a key of :data:`CHECKS`).
        function: the student's function; None when the notebook does not define it.
        time_limit: seconds the cases may take (None: no limit).

    Raises:
        KeyError: ``exercise`` has no check; the message lists those that do.
    """
    if exercise not in CHECKS:
        raise KeyError(f"no check for exercise {exercise!r}; checks exist for "
                       f"{', '.join(sorted(CHECKS))}")
    spec = CHECKS[exercise]
    stub = False
    if function is None:
        problems = [f"the notebook defines no function `{spec.function}`: keep the stub's "
                    "name and signature"]
    elif not callable(function):
        problems = [f"`{spec.function}` is a {type(function).__name__}, not a function"]
    else:
        try:
            with _alarm(time_limit):
                problems = list(spec.cases(_guard(function)))
        except _Stub:
            stub, problems = True, ["not written yet (it raises NotImplementedError)"]
        except TimeoutError as err:
            problems = [f"the cases {err}: look for a loop that never ends"]
    passed = not problems
    return CheckResult(exercise, spec.function, passed, stub, tuple(problems),
                       float(spec.points if passed else 0), spec.points)


def _guard(function: Callable) -> Callable:
    """``function``, with NotImplementedError turned into :class:`_Stub`."""

    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except NotImplementedError as err:
            raise _Stub from err

    return guarded


def check(exercise: str, function: Callable) -> None:
    """The check cell: print the report of ``function`` on the cases of ``exercise``.

    Raises:
        ExerciseCheckFailed: the function is written but wrong (the report is the message).
            An untouched stub only prints its ``FAIL`` line.
    """
    result = evaluate(exercise, function)
    if result.passed or result.stub:
        print(result.report())
        return
    raise ExerciseCheckFailed(result.report())


def evaluate_namespace(namespace: Mapping, exercises: list[str], *,
                       time_limit: float | None = 30.0) -> list[CheckResult]:
    """Run the checks of ``exercises`` on the functions a notebook left in ``namespace``."""
    return [evaluate(ex, namespace.get(CHECKS[ex].function), time_limit=time_limit)
            for ex in exercises]
