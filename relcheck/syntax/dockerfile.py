"""Dockerfile syntax, read the way BuildKit's parser reads it, in pure Python.

BuildKit's own parser (frontend/dockerfile/parser) is Go; its Python binding ships no wheels for Linux
aarch64, musl or macOS on arm64, and dockerfile-parse reads differently from Docker where real
Dockerfiles go (a blank line inside a continued RUN ends it, heredoc bodies become instructions, `\\\\`
at the end of a line continues it). This module follows BuildKit's reading step by step: parser
directives, line continuations (comments and blank lines inside them skipped), heredocs, builder
flags, and each instruction's argument form (JSON array, shell string, words, key=value pairs).
`tests/test_dockerfile_differential.py` holds it to BuildKit itself wherever the binding installs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Go's unicode.IsSpace: Python's str.isspace() also counts the ASCII separators \x1c-\x1f.
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000").union(map(chr, range(0x2000, 0x200B)))
_GO_SPACE_BYTES = frozenset(b"\t\n\v\f\r \x85\xa0")  # unicode.IsSpace(rune(b)) for one byte
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")  # BuildKit's reWhitespace
_DIRECTIVE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.DOTALL)
_HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)([^<]*)\Z")
_HEREDOC_INSTRUCTIONS = frozenset(["add", "copy", "run"])
# bufio.Scanner's default limit: a line of 65,536 bytes or more (with its newline) stops the scan.
_MAX_LINE_BYTES = 64 * 1024
NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


@dataclass(frozen=True)
class Command:
    """One instruction as BuildKit's parser hands it over."""

    keyword: str  # as written: FROM, from, ...; "" for a line that holds no word
    sub_keyword: str | None  # ONBUILD RUN ... -> "RUN"
    json: bool  # exec (JSON array) form
    original: str  # the instruction, continuation lines joined; heredoc bodies appended
    start_line: int  # 1-based
    end_line: int
    flags: tuple[str, ...]  # --from=build, --interval=30s
    value: tuple[str, ...]  # the arguments, split as the instruction's form says
    heredocs: tuple[str, ...]  # heredoc bodies, in order


class DockerfileSyntaxError(ValueError):
    """Docker would refuse the file: `message` is BuildKit's, `line` the instruction's first line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def go_trim_space(text: str) -> str:
    return go_lstrip(go_rstrip(text))


def go_lstrip(text: str) -> str:
    index = 0
    while index < len(text) and text[index] in _GO_SPACE:
        index += 1
    return text[index:]


def go_rstrip(text: str) -> str:
    index = len(text)
    while index > 0 and text[index - 1] in _GO_SPACE:
        index -= 1
    return text[:index]


class _Directives:
    """Parser directives (`# escape=`, `# syntax=`) and the escape token they set."""

    def __init__(self) -> None:
        self.done = False
        self.seen: set[str] = set()
        self.escape = "\\"
        self._continuation = self._continuation_pattern("\\")

    @staticmethod
    def _continuation_pattern(token: str) -> re.Pattern[str]:
        # The escape token ends a line to continue it, unless it is itself escaped.
        escaped = re.escape(token)
        return re.compile(rf"([^{escaped}]){escaped}[ \t]*\Z|^{escaped}[ \t]*\Z", re.DOTALL)

    def read(self, line: str) -> None:
        """Directives are read until the first line that is not one."""
        if self.done:
            return
        match = _DIRECTIVE.match(line)
        if match is None:
            self.done = True
            return
        name = match.group(1).lower()
        if name not in ("syntax", "escape"):
            self.done = True
            return
        if name in self.seen:
            raise ValueError(f"only one {name} parser directive can be used")
        self.seen.add(name)
        if name == "escape":
            value = match.group(2)
            if value not in ("`", "\\"):
                raise ValueError(f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
            self._continuation = self._continuation_pattern(value)

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """The line without its continuation token, and whether the instruction ends here."""
        match = self._continuation.search(line)
        if match is None:
            return line, True
        return line[: match.start()] + (match.group(1) or ""), False


class _Lines:
    """The text's lines with their endings, as bufio.Scanner hands them over."""

    def __init__(self, text: str) -> None:
        self._parts = text.split("\n")
        self._index = 0
        self.too_long = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        parts = self._parts
        if self.too_long or self._index >= len(parts):
            raise StopIteration
        last = self._index == len(parts) - 1
        line = parts[self._index] if last else parts[self._index] + "\n"
        self._index += 1
        if not line:
            raise StopIteration
        if len(line) * 4 >= _MAX_LINE_BYTES and len(line.encode("utf-8", "surrogatepass")) > _MAX_LINE_BYTES - last:
            self.too_long = True
            raise StopIteration
        return line


def _is_comment(line: str) -> bool:
    return go_lstrip(line.rstrip("\r\n")).startswith("#")


def _process_line(directives: _Directives, line: str, strip_left: bool) -> str:
    line = line.rstrip("\r\n")
    if strip_left:
        line = go_lstrip(line)
    directives.read(line)
    return "" if line.startswith("#") else line


def parse(text: str) -> list[Command]:
    """The file's instructions; DockerfileSyntaxError where BuildKit's parser stops."""
    directives = _Directives()
    lines = _Lines(text)
    commands: list[Command] = []
    current = 0
    for raw in lines:
        if current == 0:
            raw = raw.removeprefix("\ufeff")
        try:
            token = _process_line(directives, raw, strip_left=True)
        except ValueError as exc:
            raise DockerfileSyntaxError(str(exc), current + 1) from None
        current += 1
        start = current
        line, ended = directives.trim_continuation(token)
        if ended and not line:
            continue
        parts = [line]
        while not ended:
            raw = next(lines, None)
            if raw is None:
                break
            try:
                token = _process_line(directives, raw, strip_left=False)
            except ValueError as exc:
                raise DockerfileSyntaxError(str(exc), current + 1) from None
            current += 1
            if _is_comment(raw) or not go_lstrip(token):
                continue  # comments and blank lines inside a continued instruction are skipped
            token, ended = directives.trim_continuation(token)
            parts.append(token)
        line = "".join(parts)
        try:
            node = _node_from_line(line, directives)
        except ValueError as exc:
            raise DockerfileSyntaxError(str(exc), start) from None
        bodies: list[tuple[str, str]] = []
        if node.can_hold_heredocs():
            try:
                heredocs = _heredocs_in(line)
            except ValueError as exc:
                raise DockerfileSyntaxError(str(exc), start) from None
            for name, chomp in heredocs:
                content: list[str] = []
                for raw in lines:
                    current += 1
                    candidate = raw.rstrip("\r\n")
                    if chomp:
                        candidate = candidate.lstrip("\t")
                    if candidate == name:
                        break
                    content.append(raw)
                else:
                    raise DockerfileSyntaxError("unterminated heredoc", start)
                bodies.append(("".join(content), name))
        commands.append(node.command(line, start, current, bodies))
    if not commands:
        raise DockerfileSyntaxError("file with no instructions", max(current, 1))
    if lines.too_long:
        message = f"dockerfile line greater than max allowed size of {_MAX_LINE_BYTES - 1}"
        raise DockerfileSyntaxError(message, current + 1)
    return commands


@dataclass
class _Node:
    keyword: str
    flags: list[str]
    value: list[str]
    json: bool = False
    sub: _Node | None = None  # ONBUILD's instruction

    def can_hold_heredocs(self) -> bool:
        node = self.sub if self.keyword.lower() == "onbuild" and self.sub is not None else self
        return node.keyword.lower() in _HEREDOC_INSTRUCTIONS and not node.json

    def command(self, line: str, start: int, end: int, bodies: list[tuple[str, str]]) -> Command:
        inner = self.sub if self.sub is not None else self
        original = line
        heredocs: tuple[str, ...] = ()
        # BuildKit attaches heredocs to the top instruction; under ONBUILD they are read and not reported.
        if bodies and self.sub is None:
            original += "\n" + "".join(content + name + "\n" for content, name in bodies)
            heredocs = tuple(content for content, _ in bodies)
        return Command(
            keyword=self.keyword,
            sub_keyword=self.sub.keyword or None if self.sub is not None else None,
            json=inner.json,
            original=original,
            start_line=start,
            end_line=end,
            flags=tuple(self.flags),
            value=tuple(inner.value),
            heredocs=heredocs,
        )


def _node_from_line(line: str, directives: _Directives) -> _Node:
    keyword, flags, args = _split_command(line)
    parser = _ARGUMENT_FORMS.get(keyword.lower())
    if parser is None:
        return _Node(keyword, flags, [""])  # unknown instruction: BuildKit keeps it, arguments dropped
    if parser is _sub_command:
        sub = _node_from_line(args, directives) if args else None
        # Its own arguments are one empty word holding the sub-instruction (seen under ONBUILD ONBUILD).
        return _Node(keyword, flags, [""] if sub is not None else [], sub=sub)
    value, is_json = parser(args, directives)
    return _Node(keyword, flags, value, json=is_json)


def _split_command(line: str) -> tuple[str, list[str], str]:
    parts = _WHITESPACE.split(go_trim_space(line), maxsplit=1)
    if len(parts) < 2:
        return parts[0], [], ""
    args, flags = _builder_flags(parts[1])
    return parts[0], flags, go_trim_space(args)


def _builder_flags(line: str) -> tuple[str, list[str]]:
    """Leading `--flag=value` words and the rest of the line. BuildKit reads this part byte by byte."""
    data = line.encode("utf-8", "surrogatepass")
    words: list[str] = []
    word: list[str] = []
    in_word = in_quote = blank_ok = False
    quote = 0
    pos = 0
    while pos <= len(data):
        end = pos == len(data)
        ch = 0 if end else data[pos]
        if not in_word and not in_quote:
            if end:
                break
            if ch in _GO_SPACE_BYTES:
                pos += 1
                continue
            if ch != 0x2D or pos + 1 == len(data) or data[pos + 1] != 0x2D:
                return data[pos:].decode("utf-8", "replace"), words
            in_word = True
        if end:
            text = "".join(word)
            if text != "--" and (blank_ok or text):
                words.append(text)
            break
        if in_word:
            if ch in _GO_SPACE_BYTES:
                text = "".join(word)
                if text == "--":
                    return data[pos:].decode("utf-8", "replace"), words
                if blank_ok or text:
                    words.append(text)
                word, in_word, blank_ok = [], False, False
                pos += 1
                continue
            if ch in (0x27, 0x22):
                quote, blank_ok, in_word, in_quote = ch, True, False, True
                pos += 1
                continue
            if ch == 0x5C:
                if pos + 1 == len(data):
                    pos += 1
                    continue
                pos += 1
                ch = data[pos]
            word.append(chr(ch))
            pos += 1
            continue
        # in a quote
        if ch == quote:
            in_quote, in_word = False, True
            pos += 1
            continue
        if ch == 0x5C:
            if pos + 1 == len(data):
                in_quote, in_word = False, True
                pos += 1
                continue
            pos += 1
            ch = data[pos]
        word.append(chr(ch))
        pos += 1
    return "", words


def _words(rest: str, directives: _Directives) -> list[str]:
    """Space-separated words, quotes kept (BuildKit's parseWords, for ENV, LABEL and ARG)."""
    escape = directives.escape
    words: list[str] = []
    word: list[str] = []
    phase = "spaces"
    quote = ""
    blank_ok = False
    pos = 0
    length = len(rest)
    while pos <= length:
        ch = rest[pos] if pos < length else ""
        if phase == "spaces":
            if pos == length:
                break
            if ch in _GO_SPACE:
                pos += 1
                continue
            phase = "word"
        if pos == length:
            if blank_ok or word:
                words.append("".join(word))
            break
        if phase == "word":
            if ch in _GO_SPACE:
                phase = "spaces"
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok = [], False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote, blank_ok, phase = ch, True, "quote"
            if ch == escape:
                if pos + 1 == length:
                    pos += 1
                    continue  # an escape token at the end of the line is dropped
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        # in a quote
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == length:
                phase = "word"
                pos += 1
                continue
            pos += 1
            word.append(ch)
            ch = rest[pos]
        word.append(ch)
        pos += 1
    return words


def _name_value(rest: str, directives: _Directives, keyword: str) -> tuple[list[str], bool]:
    words = _words(rest, directives)
    if not words:
        return [], False
    if "=" not in words[0]:  # the legacy form: ENV name value
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ValueError(f"{keyword} must have two arguments")
        return parts, False
    value: list[str] = []
    for word in words:
        if "=" not in word:
            raise ValueError(f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value")
        value.extend(word.split("=", 1))
    return value, False


def _env(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    return _name_value(rest, directives, "ENV")


def _label(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    return _name_value(rest, directives, "LABEL")


def _name_or_name_value(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    return _words(rest, directives), False


def _whitespace_delimited(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    return (_WHITESPACE.split(rest) if rest else []), False


def _string(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    return ([rest] if rest else []), False


class _NotJSON(Exception):
    pass


def _reject_number(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):  # Go's decoder cannot hold it in a float64
        raise _NotJSON
    return number


def _reject_constant(text: str) -> None:
    raise _NotJSON  # NaN and Infinity are not JSON to Go


_DECODER = json.JSONDecoder(parse_float=_reject_number, parse_int=_reject_number, parse_constant=_reject_constant)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_array(rest: str) -> list[str]:
    rest = go_lstrip(rest)
    if not rest.startswith("["):
        raise _NotJSON
    try:
        items, _ = _DECODER.raw_decode(rest)  # like Go's json.Decoder, text after the array is ignored
    except RecursionError:
        # Nested deeper than Python recurses: Go decodes up to 10,000 levels (then refuses the items).
        if _nesting(rest) > _GO_MAX_JSON_DEPTH:
            raise _NotJSON from None
        raise ValueError(NOT_STRING_ARRAY) from None
    except ValueError:
        raise _NotJSON from None
    if not isinstance(items, list):
        raise _NotJSON
    if not all(isinstance(item, str) for item in items):
        raise ValueError(NOT_STRING_ARRAY)
    return [_LONE_SURROGATE.sub("\ufffd", item) for item in items]


_GO_MAX_JSON_DEPTH = 10_000


def _nesting(text: str) -> int:
    """The deepest bracket nesting outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
            if depth <= 0:
                break
    return deepest


def _maybe_json(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    if not rest:
        return [], False
    try:
        return _json_array(rest), True
    except _NotJSON:
        return [rest], False


def _maybe_json_list(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    try:
        return _json_array(rest), True
    except _NotJSON:
        return _whitespace_delimited(rest, directives)


def _health_config(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    data = rest.encode("utf-8", "surrogatepass")  # BuildKit looks for the first space byte by byte
    sep = 0
    while sep < len(data) and data[sep] not in _GO_SPACE_BYTES:
        sep += 1
    if sep == 0:
        return [], False
    after = sep
    while after < len(data) and data[after] in _GO_SPACE_BYTES:
        after += 1
    kind = data[:sep].decode("utf-8", "replace")
    command, is_json = _maybe_json(data[after:].decode("utf-8", "replace"), directives)
    return [kind, *command], is_json


def _sub_command(rest: str, directives: _Directives) -> tuple[list[str], bool]:
    raise AssertionError("ONBUILD is read by _node_from_line")  # a marker in the table


_ARGUMENT_FORMS = {
    "add": _maybe_json_list,
    "arg": _name_or_name_value,
    "cmd": _maybe_json,
    "copy": _maybe_json_list,
    "entrypoint": _maybe_json,
    "env": _env,
    "expose": _whitespace_delimited,
    "from": _whitespace_delimited,
    "healthcheck": _health_config,
    "label": _label,
    "maintainer": _string,
    "onbuild": _sub_command,
    "run": _maybe_json,
    "shell": _maybe_json,
    "stopsignal": _string,
    "user": _string,
    "volume": _maybe_json_list,
    "workdir": _string,
}


def _heredocs_in(line: str) -> list[tuple[str, bool]]:
    """Heredoc names (`<<EOF`, `<<-"EOF"`, `3<<EOF`) in the instruction, with whether tabs are chomped."""
    if "<<" not in line:
        return []
    found: list[tuple[str, bool]] = []
    for word in _shell_words(line, raw=True) or []:
        match = _HEREDOC_WORD.match(word)
        if match is None or not match.group(3):
            continue
        rest = match.group(3)
        names = _shell_words(rest, raw=False)
        if names is None:
            raise ValueError(f"failed to process {go_quote(rest)}: unexpected end of statement in a quote")
        if len(names) == 1:
            found.append((names[0], match.group(2) == "-"))
    return found


def _shell_words(text: str, raw: bool) -> list[str] | None:
    """Shell words as BuildKit's lexer splits them for heredocs (no variables set); None on an open quote.

    raw: quotes and escapes stay in the words (RawQuotes and RawEscapes)."""
    words: list[str] = []
    word = ""
    pos = 0
    length = len(text)
    while pos < length:
        ch = text[pos]
        if ch == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                return None
            word += text[pos : end + 1] if raw else text[pos + 1 : end]
            pos = end + 1
            continue
        if ch == '"':
            pos += 1
            part = '"' if raw else ""
            while True:
                if pos >= length:
                    return None
                ch = text[pos]
                pos += 1
                if ch == '"':
                    part += ch if raw else ""
                    break
                if ch == "\\":
                    part += ch if raw else ""
                    if pos < length and text[pos] in '"$\\':
                        ch = text[pos]
                        pos += 1
                part += ch
            word += part
            continue
        pos += 1
        if ch == "\\":
            word += ch if raw else ""
            if pos >= length:
                break
            word += text[pos]
            pos += 1
        elif ch in _GO_SPACE:
            if word:
                words.append(word)
                word = ""
        else:
            word += ch
    if word:
        words.append(word)
    return words


def go_quote(text: str) -> str:
    """Go's %q: a double-quoted string with Go escapes (BuildKit's messages quote words this way)."""
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in escapes:
            out.append(escapes[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)
