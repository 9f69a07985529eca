"""Fixes to Dockerfiles, by instruction: a shell-form CMD or ENTRYPOINT of plain words becomes the
exec form (the same program and arguments, now PID 1 itself); a final stage without USER gets one
(unsafe)."""

from __future__ import annotations

import json
import re

from relcheck.artifacts.dockerfile import DockerfileSpot
from relcheck.fixes.model import SAFE, UNSAFE, Edit, Fix
from relcheck.fixes.registry import FixContext, fixer
from relcheck.model import Finding
from relcheck.units.images import stepped_down_user

# Words the shell would pass on unchanged: no quotes, variables, globs, redirections or operators.
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9_./:=@%+,-]+(?:[ \t]+[A-Za-z0-9_./:=@%+,-]+)*")


@fixer("D003")
def exec_form_command(finding: Finding, ctx: FixContext) -> Fix | None:
    spot = finding.subject
    if not isinstance(spot, DockerfileSpot):
        return None
    instruction = spot.instruction
    if instruction.json_form or instruction.flags or instruction.heredocs or instruction.line != instruction.end_line:
        return None
    text = ctx.text(spot.dockerfile.path)
    if text is None:
        return None
    line = ctx.lines(spot.dockerfile.path)[instruction.line - 1]
    match = re.match(rf"(\s*{instruction.keyword}\s+)(.*?)\s*$", line, re.IGNORECASE)
    if match is None or not _PLAIN_WORDS.fullmatch(match.group(2)):
        return None
    words = match.group(2).split()
    start = ctx.starts(spot.dockerfile.path)[instruction.line - 1] + len(match.group(1))
    exec_form = json.dumps(words)
    edit = Edit(spot.dockerfile.path, start, start + len(match.group(2)), exec_form)
    return Fix(f"Use the exec form: {instruction.keyword} {exec_form}", (edit,), SAFE)


def _owner_of_copies(instructions: list) -> str | None:
    """The one non-root user the final image's COPY and ADD give their files to (`--chown=node:node`
    on uptime-kuma's own base image), or None when there is none or more than one."""
    owners = set()
    for instruction in instructions:
        chown = instruction.flag("chown") if instruction.keyword in ("COPY", "ADD") else None
        user = chown.split(":", 1)[0] if chown else ""
        if user and user not in ("root", "0") and "$" not in user:
            owners.add(user)
    return owners.pop() if len(owners) == 1 else None


@fixer("D001")
def non_root_user(finding: Finding, ctx: FixContext) -> Fix | None:
    """`USER node` (official Node images have that user), the user the final image's files are
    copied for (`COPY --chown=app:app`), or `USER 10001`, before the final stage's CMD or
    ENTRYPOINT (unsafe: files the image writes as root may no longer be writable)."""
    spot = finding.subject
    if not isinstance(spot, DockerfileSpot) or finding.value != "no USER":
        return None  # `USER root` on purpose: only its author knows which user to run as
    text = ctx.text(spot.dockerfile.path)
    if text is None:
        return None
    instructions = spot.dockerfile.final_instructions()
    starts = [i for i in instructions if i.keyword in ("CMD", "ENTRYPOINT")]
    base = (spot.stage.base_image() or "").lower()
    stepped = stepped_down_user(base)  # a database image's own user (postgres), which its entrypoint expects
    user = "node" if base.rsplit("/", 1)[-1].startswith("node:") or base == "node" else "10001"
    user = _owner_of_copies(instructions) or user  # the user its files are copied for (`COPY --chown=node:node`)
    user = stepped[0] if stepped is not None else user
    lines = ctx.lines(spot.dockerfile.path)
    if starts:
        line = min(i.line for i in starts)
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
        at = ctx.starts(spot.dockerfile.path)[line - 1]
        edit = Edit(spot.dockerfile.path, at, at, f"{indent}USER {user}\n")
    else:
        last = max(i.end_line for i in instructions)
        at = ctx.starts(spot.dockerfile.path)[last - 1] + len(lines[last - 1])
        edit = Edit(spot.dockerfile.path, at, at, f"\nUSER {user}")
    return Fix(f"Add USER {user} to the final stage (check what it must write)", (edit,), UNSAFE)
