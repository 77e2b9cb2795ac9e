"""The exercise-by-exercise table of issue 19: every answer tried, and both verdicts.

    python tools/agreement_table.py [--chapter N] [--out FILE]

Runs the answers of ``tests/agreement_answers.py`` through the notebook's ``check()`` and
the grader, as ``tests/test_agreement.py`` does (the runs are ``tests/agreement_runs.py``),
and prints a Markdown table per chapter: for every checked exercise, its right answers
(in the forms students write them) and then its wrong ones, each with what ``check()``
and the grader say, on the public cases and on hidden ones. A last table counts the
exercises and answers, the rows where the two agree, and the false positives (a wrong
answer called correct), false negatives (a right answer not called correct) and
unexpected diagnoses. Exits 1 if any of those is not 0.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from agreement_answers import ANSWERS  # noqa: E402
from agreement_runs import CASES, judge_chapter  # noqa: E402

#: The longest diagnosis a cell of the table quotes.
QUOTE = 70


def _cell(text):
    """``text`` fit for a Markdown table cell: one line, no bar, not too long."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= QUOTE else text[: QUOTE - 3] + "..."


def _verdict(results):
    """The verdicts on the public and hidden cases, once when they are the same (the
    status, unless the diagnosis starts with it)."""
    texts = [
        r.message if r.message.startswith(r.status) else f"{r.status}: {r.message}" for r in results
    ]
    if len(set(texts)) == 1:
        return _cell(texts[0])
    return "; ".join(f"{which}: {_cell(t)}" for which, t in zip(CASES, texts, strict=True))


def chapter_table(judged):
    """Markdown lines for one chapter's rows (:class:`agreement_runs.Judged`)."""
    lines = [
        "| exercise | answer | kind | check() says | the grader says | agree |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    answers = {}
    for row in judged:
        answers.setdefault((row.exercise, row.label), []).append(row)
    order = sorted(
        answers.items(),
        key=lambda item: (
            [r.exercise for r in judged].index(item[0][0]),
            item[1][0].expected != "correct",
        ),
    )
    for (exercise, label), rows in order:
        kind = "right" if rows[0].expected == "correct" else f"wrong ({rows[0].expected})"
        agree = all(r.agree for r in rows) and all(r.as_expected for r in rows)
        lines.append(
            f"| {exercise} | {_cell(label)} | {kind} | {_verdict([r.check for r in rows])} | "
            f"{_verdict([r.grader for r in rows])} | {'yes' if agree else '**NO**'} |"
        )
    return lines


def overview(judged):
    """Markdown lines: one row per exercise, its answers' labels, right ones then wrong
    ones, and whether every verdict agreed and was the expected one."""
    lines = [
        "| chapter | exercise | right answers tried | wrong answers tried | "
        "check() = grader, as expected |",
        "| --- | --- | --- | --- | --- |",
    ]
    exercises = {}
    for row in judged:
        exercises.setdefault((row.chapter, row.exercise), []).append(row)
    for (chapter, exercise), rows in exercises.items():
        labels = {True: [], False: []}
        for row in rows:
            group = labels[row.expected == "correct"]
            label = row.label.replace("|", "\\|")
            if label not in group:
                group.append(label)
        good = all(r.agree and r.as_expected for r in rows)
        lines.append(
            f"| {chapter} | {exercise} | {len(labels[True])}: {'; '.join(labels[True])} | "
            f"{len(labels[False])}: {'; '.join(labels[False])} | "
            f"{'yes' if good else '**NO**'} ({len(rows)} verdicts) |"
        )
    return lines


def summary(judged):
    """Markdown lines of the counts over all the chapters' rows."""
    answers = {(r.chapter, r.exercise, r.label) for r in judged}
    exercises = {(r.chapter, r.exercise) for r in judged}
    right = {(r.chapter, r.exercise, r.label) for r in judged if r.expected == "correct"}
    counts = [
        ("chapters", len({r.chapter for r in judged})),
        ("checked exercises", len(exercises)),
        (
            f"answers tried ({len(right)} right, {len(answers) - len(right)} wrong or stubs)",
            len(answers),
        ),
        (f"verdicts compared (each answer on the {' and '.join(CASES)} cases)", len(judged)),
        ("check() and the grader agree (status and diagnosis)", sum(r.agree for r in judged)),
        ("disagreements", sum(not r.agree for r in judged)),
        ("false positives (a wrong answer called correct)", sum(r.false_positive for r in judged)),
        (
            "false negatives (a right answer not called correct)",
            sum(r.false_negative for r in judged),
        ),
        ("unexpected diagnoses", sum(r.agree and not r.as_expected for r in judged)),
    ]
    return ["| count | number |", "| --- | --- |"] + [f"| {n} | {v} |" for n, v in counts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", type=int, choices=sorted(ANSWERS), help="one chapter")
    parser.add_argument("--out", type=Path, help="write the table here as well")
    args = parser.parse_args()
    chapters = [args.chapter] if args.chapter else sorted(ANSWERS)
    lines, judged = ["# check() and the grader, exercise by exercise", ""], []
    with tempfile.TemporaryDirectory() as workdir:
        for chapter in chapters:
            rows = judge_chapter(chapter, workdir)
            judged += rows
            lines += [f"## Chapter {chapter}", "", *chapter_table(rows), ""]
    lines += ["## Every exercise", "", *overview(judged), ""]
    lines += ["## Counts", "", *summary(judged)]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    bad = [r for r in judged if r.problem() or r.false_positive or r.false_negative]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
