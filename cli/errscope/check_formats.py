"""Writers for `check` results: text, json, junit, github (annotations + step summary), markdown."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from xml.sax.saxutils import escape, quoteattr

from errscope.check import CheckResult, Problem

GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows no more than 10 annotations per kind per step


class CheckFormat(StrEnum):
    """Output formats of `errscope check`."""

    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    markdown = "markdown"


def render_check(result: CheckResult, fmt: CheckFormat) -> str:
    return _WRITERS[fmt](result)


def _failing(result: CheckResult) -> list[Problem]:
    return [p for p in result.problems if p.failing]


def _notes(result: CheckResult) -> list[Problem]:
    return [p for p in result.problems if not p.failing]


def write_text(result: CheckResult) -> str:
    lines = list(result.headline[:-1])
    for problem in _failing(result):
        where = f"{problem.location}: " if problem.location else ""
        lines.append(f"FAIL {problem.kind}: {where}{problem.title}: {problem.detail}")
    for problem in _notes(result):
        lines.append(f"note {problem.kind}: {problem.detail}")
    lines.append(result.headline[-1])
    return "\n".join(lines) + "\n"


def write_json(result: CheckResult) -> str:
    doc = {
        "passed": result.passed,
        "registry": result.registry,
        "headline": result.headline,
        "corpus": result.corpus,
        "baseline": result.baseline,
        "problems": [
            {
                "kind": p.kind,
                "title": p.title,
                "detail": p.detail,
                "location": p.location,
                "failing": p.failing,
            }
            for p in result.problems
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_junit(result: CheckResult) -> str:
    cases = []
    corpus = result.corpus
    if corpus is not None:
        failed = {f["location"]: f for f in corpus["failures"]}
        for problem in result.problems:
            if problem.kind == "golden-case":
                cases.append(_junit_case("golden-corpus", problem.location, problem))
        passed = corpus["cases"] - len(failed)
        if passed:
            cases.append(_junit_case("golden-corpus", f"{passed} passing cases", None))
    if result.baseline is not None:
        for kind, name in (
            ("fallback-share", "fallback share within tolerance"),
            ("max-fallback-share", "fallback share under the cap"),
            ("code-loss", "no code loses rows to fallback codes"),
        ):
            found = [p for p in result.problems if p.kind == kind]
            if found:
                cases.extend(_junit_case("dump", f"{name}: {p.title}", p) for p in found)
            else:
                cases.append(_junit_case("dump", name, None))
    failures = sum(1 for p in _failing(result))
    body = "\n".join(cases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="errscope check" tests="{len(cases)}" failures="{failures}">\n'
        f'<testsuite name="errscope check" tests="{len(cases)}" failures="{failures}">\n'
        f"{body}\n</testsuite>\n</testsuites>\n"
    )


def _junit_case(classname: str, name: str, problem: Problem | None) -> str:
    head = f"<testcase classname={quoteattr(classname)} name={quoteattr(name)}>"
    if problem is None:
        return f"{head}</testcase>"
    return (
        f"{head}<failure message={quoteattr(problem.title)}>{escape(problem.detail)}</failure>"
        "</testcase>"
    )


def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_escape(text).replace(":", "%3A").replace(",", "%2C")


def write_github(result: CheckResult) -> str:
    """Workflow annotations for the top problems; the full report goes to the step summary."""
    lines = []
    for problem in _failing(result)[:GITHUB_ANNOTATION_LIMIT]:
        props = [f"title={_github_property(problem.title)}"]
        if problem.location and ":" in problem.location:
            path, _, line = problem.location.rpartition(":")
            props = [f"file={_github_property(path)}", f"line={line}", *props]
        lines.append(f"::error {','.join(props)}::{_github_escape(problem.detail)}")
    hidden = len(_failing(result)) - GITHUB_ANNOTATION_LIMIT
    if hidden > 0:
        lines.append(f"::notice title=errscope::{hidden} more problem(s) in the step summary")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(write_markdown(result))
    lines.append(result.headline[-1])
    return "\n".join(lines) + "\n"


def write_markdown(result: CheckResult) -> str:
    verdict = "passed" if result.passed else "failed"
    out = [f"## errscope check {verdict}", ""]
    out.extend(f"- {line}" for line in result.headline)
    failing = _failing(result)
    if failing:
        out += ["", "### Problems", "", "| kind | where | what | detail |", "|---|---|---|---|"]
        for p in failing:
            out.append(f"| {p.kind} | {_md(p.location)} | {_md(p.title)} | {_md(p.detail)} |")
    notes = _notes(result)
    if notes:
        out += ["", "### Worth a look", ""]
        out.extend(f"- {_md(p.detail)}" for p in notes)
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_WRITERS = {
    CheckFormat.text: write_text,
    CheckFormat.json: write_json,
    CheckFormat.junit: write_junit,
    CheckFormat.github: write_github,
    CheckFormat.markdown: write_markdown,
}
