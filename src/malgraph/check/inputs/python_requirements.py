"""pip's requirements files (`requirements*.txt`, `requirements/*.txt`, pip-tools' `.in`).

Each requirement is parsed by `packaging.requirements.Requirement` (PEP 508, maintained by
PyPA and already a dependency); the line handling around it is pip's: comments, backslash
continuations, options, per-requirement `--hash` options, and `-r` includes. The
pip-requirements-parser package was not used: it vendors an old copy of pip's internals and
reads includes from disk by its own rules, where an include here must stay inside the
project, be cycle-free and shallow, and never be fetched from a URL.

`==` and `===` pins give the version; any other specifier is kept as `spec`. Markers and
extras do not change which package is named, so a requirement for another platform is still
reported. Editable installs, paths and bare URLs name no registry package and are skipped;
`-c` constraint files are not read, since a constraint installs nothing. A requirements file
may list what it pulls in (pip-compile's output), so `direct` stays unknown."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from malgraph.check.inputs.files import read_capped
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency, InputProblem

ECOSYSTEM = "PyPI"
MAX_INCLUDE_DEPTH = 8
_COMMENT = re.compile(r"(^|\s+)#.*$")
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^\s-]))(\S+)$")
_REQUIREMENT_OPTIONS = re.compile(
    r"\s+--(?:hash|global-option|install-option|config-settings|config_settings)\b.*$"
)
_PINS = ("==", "===")

Found = list[Dependency | InputProblem]


def parse_requirements(file: str, data: bytes) -> Found:
    path = Path(file)
    found: Found = []
    _read(path, data, _project_root(path), (path.resolve(),), found)
    return found


def _project_root(path: Path) -> Path:
    """Includes stay inside the folder of the file given, or inside its parent when that
    folder is a `requirements/` folder (whose files include `../base.txt` style siblings)."""
    folder = path.resolve().parent
    return folder.parent if folder.name == "requirements" else folder


def _read(path: Path, data: bytes, root: Path, stack: tuple[Path, ...], found: Found) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableInput(f"not UTF-8 text: {error.reason}") from error
    for number, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            _include(path, number, include.group(1), root, stack, found)
        elif not line.startswith("-"):  # other options name no package
            item = _requirement(str(path), number, line)
            if item is not None:
                found.append(item)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each requirement line, comments gone, continuations
    joined."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        line = _COMMENT.sub("", " ".join([*pending, raw])).strip()
        pending = []
        if line:
            lines.append((start, line))
    if pending:
        lines.append((start, _COMMENT.sub("", " ".join(pending)).strip()))
    return [(number, line) for number, line in lines if line]


def _include(
    path: Path, number: int, target: str, root: Path, stack: tuple[Path, ...], found: Found
) -> None:
    def problem(reason: str) -> None:
        found.append(InputProblem(str(path), f"line {number}: -r {target}: {reason}"))

    if "://" in target:
        return problem("not fetched (malgraph check reads nothing from the network)")
    included = (path.parent / target).resolve()
    if not included.is_relative_to(root):
        return problem(f"outside the project folder {root}")
    if included in stack:
        return problem("an include cycle")
    if len(stack) > MAX_INCLUDE_DEPTH:
        return problem(f"includes nested deeper than {MAX_INCLUDE_DEPTH}")
    if not included.is_file():
        return problem("no such file")
    try:
        _read(included, read_capped(included), root, (*stack, included), found)
    except UnreadableInput as error:
        problem(str(error))
    return None


def _requirement(file: str, number: int, line: str) -> Dependency | InputProblem | None:
    line = _REQUIREMENT_OPTIONS.sub("", line)
    try:
        requirement = Requirement(line)
    except InvalidRequirement as error:
        if _is_path_or_url(line):
            return None
        return InputProblem(file, f"line {number}: not a requirement: {error}")
    if requirement.url:
        return Dependency(ECOSYSTEM, requirement.name, None, file, spec=requirement.url)
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in _PINS:
        pinned = specifiers[0].version
        if "*" not in pinned:
            return Dependency(ECOSYSTEM, requirement.name, pinned, file)
    return Dependency(
        ECOSYSTEM, requirement.name, None, file, spec=str(requirement.specifier) or None
    )


def _is_path_or_url(line: str) -> bool:
    """A bare path, archive or URL: pip installs it, but it names no registry package."""
    head = line.split(";")[0].strip()
    return (
        head.startswith((".", "/", "~"))
        or "://" in head.split("@")[0]
        or head.endswith((".whl", ".zip", ".tar.gz", ".tar.bz2"))
    )
