"""Text from the repository made safe to print: no report line can be read as a terminal escape
or a CI runner's command.

File names, values, service names and suppression reasons come from the scanned tree. Printed as
they are, a `\\x1b[` sequence would drive the terminal, and a line break would start a new line
that GitHub Actions reads as a workflow command (`::add-mask::`, `::stop-commands::`). Control
characters, line and paragraph separators and bidirectional overrides are shown as visible
escapes (`\\x1b`, `\\n`, `\\u202e`); a line that would begin with `::` is prefixed."""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 controls, DEL, C1 controls, NEL, line/paragraph separators and bidi embeddings/overrides/isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` on one line, every control character written as an escape."""
    return _UNSAFE.sub(_shown, text) if _UNSAFE.search(text) else text


def line_start(text: str) -> str:
    """`text` made safe to begin a line: visible, and never starting with `::` (GitHub Actions
    trims leading blanks before it looks for a command, so a path gets `./` in front)."""
    shown = visible(text)
    return "./" + shown if shown.lstrip().startswith("::") else shown


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown(text: str) -> str:
    """Repository text inside Markdown: one line, no HTML (entities), no emphasis, links or code spans."""
    shown = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", shown)


_SURROGATE = re.compile("[\udc80-\udcff]")


def xml_text(text: str) -> str:
    """Repository text for XML: visible, and a file name's bytes that are not UTF-8 (kept as
    surrogates) written as `\\xff`, so the document stays well-formed UTF-8."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", visible(text))
