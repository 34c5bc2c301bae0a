"""The scoring method in words: data that the report appendix and the JSON export print.

`assessment.scoring` implements these steps; a change to one changes the other.
Kept as data, not cut from a docstring, so it is there under `python -OO` too.
"""

from __future__ import annotations

from collections.abc import Iterable

METHOD_STEPS = (
    "A question's score is the score of the chosen option, between 0 and 1 (maturity: 0, 0.25, "
    "0.5, 0.75, 1; yes 1, partly 0.5, no 0). Number and text questions, and options without a "
    "score, are recorded but not scored.",
    "A question is not applicable when the service profile scopes it (or its principle) out, or "
    'when the answer chosen is "not applicable". It then counts in neither the numerator nor the '
    "denominator.",
    'An unanswered applicable question scores 0 and lowers completion. An "alternative measure" '
    "answer counts as met only when a rationale is given in the comment; without one it scores 0.",
    "Principle score = 100 x sum(weight x score) / sum(weight) over its applicable scored "
    "questions. A principle with no applicable scored question has no score and is reported as "
    "not applicable.",
    "Theme score and overall score = weighted mean of the scores of the principles they hold "
    "(principle weights; principles without a score are left out). Completion is answered / "
    "applicable questions.",
    "Scores are shown rounded half up to whole numbers; the maturity band is taken from the "
    "rounded score, so the band always agrees with the figure.",
    "A gap is an applicable scored question whose score is below the catalogue's threshold "
    "(unanswered included). Its priority is question weight x principle weight x (1 - score); "
    "the action plan lists gaps by falling priority, then in catalogue order.",
)


def numbered(steps: Iterable[str]) -> str:
    """Return the steps as one text, a numbered step a line (the JSON export's `method`)."""
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
