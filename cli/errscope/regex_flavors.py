"""RE2 regexes rewritten, with the same matches, for engines that are not RE2.

PostgreSQL's `~` (Spencer's ARE), Spark's RLIKE (java.util.regex) and Trino's regexp_like (Joni,
Java syntax) read the same text differently from RE2: `\\b` is a backspace in ARE, `\\s` adds the
vertical tab, `$` may match before a final newline, `(?i)` folds case by locale or not at all
beyond ASCII, and ARE takes `(?i)` only at the very start. So a pattern is parsed as RE2 reads it
(flags, classes, escapes) into character sets and assertions, and written back with explicit
ASCII classes, case variants spelled out as RE2's fold orbits, lookarounds for word boundaries,
and end-of-text anchors. Anything not provably the same (Unicode classes such as `\\p{Greek}`,
repetition counts ARE cannot express) raises `Untranslatable`: never silently different regexes.
Only whether a regex matches somewhere is preserved, not which span (greediness is dropped).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache

import re2

MAX_CODE_POINT = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)
RE2 = "re2"
POSTGRES = "postgres"
JAVA = "java"
FLAVORS = (RE2, POSTGRES, JAVA)
_PG_MAX_REPEAT = 255  # ARE's DUPMAX
_CASED_BELOW = 0x20000  # no code point at or above this has another case (tests check)

Ranges = tuple[tuple[int, int], ...]


class Untranslatable(ValueError):
    """A regex that cannot be written for a flavor with provably the same matches."""


# --- character sets: sorted, disjoint, non-adjacent inclusive ranges ---------------------------


def _normalize(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _without_surrogates(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    low, high = SURROGATES
    for lo, hi in ranges:
        if hi < low or lo > high:
            out.append((lo, hi))
            continue
        if lo < low:
            out.append((lo, low - 1))
        if hi > high:
            out.append((high + 1, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return _without_surrogates(tuple(out))


def _contains(ranges: Ranges, point: int) -> bool:
    index = bisect_right(ranges, (point, MAX_CODE_POINT + 1)) - 1
    return index >= 0 and ranges[index][0] <= point <= ranges[index][1]


def _chars(text: str) -> Ranges:
    return _normalize([(ord(c), ord(c)) for c in text])


DIGIT = _normalize([(0x30, 0x39)])
SPACE = _chars("\t\n\f\r ")  # RE2's \s: no vertical tab
WORD = _normalize([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
ALL = _without_surrogates(((0, MAX_CODE_POINT),))
NOT_NEWLINE = _complement(_chars("\n"))
_POSIX: dict[str, Ranges] = {
    "alnum": _normalize([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]),
    "alpha": _normalize([(0x41, 0x5A), (0x61, 0x7A)]),
    "ascii": ((0, 0x7F),),
    "blank": _chars("\t "),
    "cntrl": ((0, 0x1F), (0x7F, 0x7F)),
    "digit": DIGIT,
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": _normalize([(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)]),
    "space": _chars("\t\n\v\f\r "),
    "upper": ((0x41, 0x5A),),
    "word": WORD,
    "xdigit": _normalize([(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)]),
}
_PERL = {"d": DIGIT, "s": SPACE, "w": WORD}


@cache
def fold_orbits() -> dict[int, frozenset[int]]:
    """For every code point with another case: the code points RE2's `(?i)` matches it with.

    Asked of RE2 itself (the reference engine), over every code point Python knows a case
    mapping for; tests check that no other code point takes part in case folding.
    """
    cased = [
        c
        for c in range(_CASED_BELOW)
        if not SURROGATES[0] <= c <= SURROGATES[1]
        and (
            chr(c).lower() != chr(c)
            or chr(c).upper() != chr(c)
            or chr(c).casefold() != chr(c)
            or chr(c).title() != chr(c)
        )
    ]
    haystack = "".join(chr(c) for c in cased)
    orbits: dict[int, frozenset[int]] = {}
    for c in cased:
        found = re2.compile("(?i)" + re2.escape(chr(c))).findall(haystack)
        orbit = frozenset(ord(m) for m in found) | {c}
        if len(orbit) > 1:
            orbits[c] = orbit
    return orbits


def _fold(ranges: Ranges) -> Ranges:
    """The set plus every code point RE2's case folding pairs with one of its members."""
    orbits = fold_orbits()
    keys = _cased_points()
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        index = bisect_left(keys, lo)
        while index < len(keys) and keys[index] <= hi:
            extra.extend((other, other) for other in orbits[keys[index]])
            index += 1
    return _normalize(list(ranges) + extra) if extra else ranges


@cache
def _cased_points() -> list[int]:
    return sorted(fold_orbits())


@cache
def _lowering() -> tuple[dict[int, frozenset[int]], tuple[str, ...]]:
    """Code points by what Python's str.lower() makes of them (single characters), and the
    multi-character results (`İ` lowers to `i` + combining dot)."""
    preimage: dict[int, set[int]] = {}
    multi: list[str] = []
    for c in range(_CASED_BELOW):
        if SURROGATES[0] <= c <= SURROGATES[1]:
            continue
        low = chr(c).lower()
        if len(low) == 1:
            if low != chr(c):
                preimage.setdefault(ord(low), {ord(low)}).add(c)
        else:
            multi.append(low)
    return {k: frozenset(v) for k, v in preimage.items()}, tuple(multi)


# --- the parsed form ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One piece of a parsed regex: `set` (one character of `ranges`), `cat`, `alt`, `rep`
    (`items[0]` repeated `low` to `high` times, None for no limit) or an empty-width assertion:
    `bot`/`eot` (start/end of text), `bol`/`eol` (of a line), `wb`/`nwb` (word boundary or not),
    `empty`."""

    kind: str
    ranges: Ranges = ()
    items: tuple[Node, ...] = ()
    low: int = 0
    high: int | None = None


EMPTY = Node("empty")
_ASSERTIONS = {"bot", "eot", "bol", "eol", "wb", "nwb", "empty"}


@dataclass
class _Flags:
    fold: bool
    dot_nl: bool
    multi_line: bool = False

    def copy(self) -> _Flags:
        return _Flags(self.fold, self.dot_nl, self.multi_line)


class _Parser:
    """A recursive-descent reader of RE2 syntax (github.com/google/re2/wiki/Syntax)."""

    def __init__(self, text: str, fold: bool) -> None:
        self.text = text
        self.pos = 0
        self.flags = _Flags(fold=fold, dot_nl=True)

    def fail(self, what: str) -> Untranslatable:
        return Untranslatable(f"{what} at offset {self.pos}")

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos < len(self.text):
            raise self.fail("unbalanced parenthesis")
        return node

    def alternation(self) -> Node:
        saved = self.flags.copy()
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concatenation())
        self.flags = saved  # flags set inside a group end with it
        return branches[0] if len(branches) == 1 else Node("alt", items=tuple(branches))

    def concatenation(self) -> Node:
        items: list[Node] = []
        while self.pos < len(self.text) and self.peek() not in "|)":
            atom = self.atom()
            if atom is None:
                continue
            items.append(self.repetitions(atom))
        if not items:
            return EMPTY
        return items[0] if len(items) == 1 else Node("cat", items=tuple(items))

    def repetitions(self, atom: Node) -> Node:
        while True:
            char = self.peek()
            if char in ("*", "+", "?"):
                self.pos += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
            elif char == "{":
                bounds = self.bounds()
                if bounds is None:
                    return atom
                low, high = bounds
            else:
                return atom
            if self.peek() == "?":  # non-greedy: the same matches exist
                self.pos += 1
            atom = _repeat(atom, low, high)

    def bounds(self) -> tuple[int, int | None] | None:
        end = self.text.find("}", self.pos)
        if end < 0:
            return None
        body = self.text[self.pos + 1 : end]
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            return None  # RE2 reads a `{` that starts no repetition as a literal
        self.pos = end + 1
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        return low, high

    def atom(self) -> Node | None:
        char = self.peek()
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class()
        self.pos += 1
        if char == ".":
            return Node("set", ranges=ALL if self.flags.dot_nl else NOT_NEWLINE)
        if char == "^":
            return Node("bol" if self.flags.multi_line else "bot")
        if char == "$":
            return Node("eol" if self.flags.multi_line else "eot")
        if char == "\\":
            return self.escape()
        return self.literal(ord(char))

    def literal(self, point: int) -> Node:
        ranges: Ranges = ((point, point),)
        return Node("set", ranges=_fold(ranges) if self.flags.fold else ranges)

    def group(self) -> Node | None:
        start = self.pos
        self.pos += 1
        if self.peek() == "?":
            if self.text.startswith("?P<", self.pos) or self.text.startswith("?<", self.pos):
                close = self.text.find(">", self.pos)
                if (
                    close < 0
                    or self.text.startswith("?<=", self.pos)
                    or self.text.startswith("?<!", self.pos)
                ):
                    raise self.fail("lookbehind or bad group name")
                self.pos = close + 1
            else:
                self.pos += 1
                flags = self.flags.copy()
                on = True
                while True:
                    char = self.peek()
                    self.pos += 1
                    if char == "-" and on:
                        on = False
                    elif char == "i":
                        flags.fold = on
                    elif char == "s":
                        flags.dot_nl = on
                    elif char == "m":
                        flags.multi_line = on
                    elif char == "U":
                        pass  # ungreedy swaps preferences only: the same matches exist
                    elif char == ")":
                        self.flags = flags  # (?flags): to the end of the enclosing group
                        return None
                    elif char == ":":
                        break
                    else:
                        self.pos = start
                        raise self.fail(
                            f"unsupported group syntax {self.text[start : start + 4]!r}"
                        )
                saved = self.flags
                self.flags = flags
                node = self.alternation()
                self.flags = saved
                return self.close(node)
        return self.close(self.alternation())

    def close(self, node: Node) -> Node:
        if self.peek() != ")":
            raise self.fail("missing )")
        self.pos += 1
        return node

    def escape(self) -> Node:
        char = self.peek()
        if not char:
            raise self.fail("trailing backslash")
        self.pos += 1
        if char in _PERL:
            return Node("set", ranges=self.group_set(_PERL[char], negated=False))
        if char.lower() in _PERL and char.isupper():
            return Node("set", ranges=self.group_set(_PERL[char.lower()], negated=True))
        if char == "b":
            return Node("wb")
        if char == "B":
            return Node("nwb")
        if char == "A":
            return Node("bot")
        if char == "z":
            return Node("eot")
        if char == "Q":
            end = self.text.find("\\E", self.pos)
            end = len(self.text) if end < 0 else end
            literal = self.text[self.pos : end]
            self.pos = min(end + 2, len(self.text))
            items = tuple(self.literal(ord(c)) for c in literal)
            return Node("cat", items=items) if items else EMPTY
        self.pos -= 1
        return self.literal(self.char_escape())

    def char_escape(self) -> int:
        """After a backslash: an escape that stands for one character."""
        char = self.peek()
        self.pos += 1
        simple = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
        if char in simple:
            return simple[char]
        if char == "x":
            if self.peek() == "{":
                end = self.text.find("}", self.pos)
                digits = self.text[self.pos + 1 : end] if end > 0 else ""
                self.pos = end + 1
            else:
                digits = self.text[self.pos : self.pos + 2]
                self.pos += 2
            try:
                return int(digits, 16)
            except ValueError:
                raise self.fail("bad \\x escape") from None
        if "0" <= char <= "7":
            if char != "0" and not ("0" <= self.peek() <= "7"):
                raise self.fail("backreference")
            value = int(char)
            for _ in range(2):
                if "0" <= self.peek() <= "7":
                    value = value * 8 + int(self.peek())
                    self.pos += 1
                else:
                    break
            return value
        if char in ("p", "P"):
            raise self.fail("Unicode class \\" + char)
        if char == "C":
            raise self.fail("\\C (any byte)")
        if char and ord(char) < 0x80 and not (char.isalnum() or char == "_"):
            return ord(char)
        raise self.fail(f"unsupported escape \\{char}")

    def group_set(self, ranges: Ranges, *, negated: bool) -> Ranges:
        """A Perl or POSIX class as RE2 adds it: folded first, negated after."""
        positive = _fold(ranges) if self.flags.fold else ranges
        return _complement(positive) if negated else positive

    def char_class(self) -> Node:
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        parts: list[tuple[int, int]] = []
        first = True
        while True:
            char = self.peek()
            if not char:
                raise self.fail("missing ]")
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            if char == "[" and self.peek(1) == ":":
                end = self.text.find(":]", self.pos + 2)
                name = self.text[self.pos + 2 : end] if end > 0 else ""
                inverted = name.startswith("^")
                if name.lstrip("^") not in _POSIX:
                    raise self.fail(f"unknown class [:{name}:]")
                parts.extend(self.group_set(_POSIX[name.lstrip("^")], negated=inverted))
                self.pos = end + 2
                continue
            if char == "\\":
                letter = self.peek(1)
                if letter in _PERL or (letter.lower() in _PERL and letter.isupper()):
                    self.pos += 2
                    parts.extend(self.group_set(_PERL[letter.lower()], negated=letter.isupper()))
                    continue
            low = self.class_char()
            high = low
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.class_char()
                if high < low:
                    raise self.fail("bad range")
            span: Ranges = ((low, high),)
            parts.extend(_fold(span) if self.flags.fold else span)
        ranges = _normalize(parts)
        return Node("set", ranges=_complement(ranges) if negated else _without_surrogates(ranges))

    def class_char(self) -> int:
        char = self.peek()
        self.pos += 1
        if char == "\\":
            return self.char_escape()
        return ord(char)


def _repeat(atom: Node, low: int, high: int | None) -> Node:
    if atom.kind in _ASSERTIONS:  # an empty-width assertion: once or not at all
        return EMPTY if low == 0 else atom
    if low == 1 and high == 1:
        return atom
    return Node("rep", items=(atom,), low=low, high=high)


def parse(regex: str, *, ignore_case: bool = False) -> Node:
    """Read a regex as RE2 does under `(?s)` (plus `(?i)` when `ignore_case`)."""
    return _Parser(regex, ignore_case).parse()


def literal_text(text: str, *, ignore_case: bool) -> Node:
    """A substring pattern: the characters in order (each with its case variants)."""
    parser = _Parser("", ignore_case)
    items = tuple(parser.literal(ord(c)) for c in text)
    return Node("cat", items=items)


def lowered_equals(values: frozenset[str]) -> Node:
    """A whole-text match of any string whose Python `str.lower()` is one of `values`.

    How a provider scope (stored lowercase) reads a row's provider, with no SQL `lower()`:
    engines lower non-ASCII letters differently, or not at all.
    """
    preimage, multi = _lowering()
    branches = []
    for value in sorted(values):
        if any(m in value for m in multi) or value != value.lower():
            raise Untranslatable(f"provider {value!r}: no exact case-insensitive form")
        items = tuple(
            Node("set", ranges=_normalize([(p, p) for p in preimage.get(ord(c), {ord(c)})]))
            for c in value
        )
        branches.append(Node("cat", items=items) if items else EMPTY)
    body = branches[0] if len(branches) == 1 else Node("alt", items=tuple(branches))
    return Node("cat", items=(Node("bot"), body, Node("eot")))


# --- writing it back ----------------------------------------------------------------------------

_WORD_CLASS = "[0-9A-Z_a-z]"
_LOOKAROUND = {
    "wb": f"(?:(?<={_WORD_CLASS})(?!{_WORD_CLASS})|(?<!{_WORD_CLASS})(?={_WORD_CLASS}))",
    "nwb": f"(?:(?<={_WORD_CLASS})(?={_WORD_CLASS})|(?<!{_WORD_CLASS})(?!{_WORD_CLASS}))",
    "bol": "(?:^|(?<=\n))",
}
_ANCHORS = {
    RE2: {"bot": "^", "eot": "\\z", "bol": "(?m:^)", "eol": "(?m:$)", "wb": "\\b", "nwb": "\\B"},
    POSTGRES: {"bot": "^", "eot": "$", "eol": "(?:$|(?=\n))", **_LOOKAROUND},
    JAVA: {"bot": "^", "eot": "\\z", "eol": "(?:\\z|(?=\n))", **_LOOKAROUND},
}
_PG_CLASS_SPECIAL = set("]\\^-[")


def _char(point: int, flavor: str, in_class: bool) -> str:
    char = chr(point)
    if char.isascii() and (char.isalnum() or char == "_" or char == " "):
        return char
    if 0x21 <= point <= 0x7E:  # ASCII punctuation
        if flavor == POSTGRES and in_class:
            return f"\\u{point:04X}" if char in _PG_CLASS_SPECIAL else char
        return "\\" + char
    if point >= 0x80 and char.isprintable():
        return char
    if flavor == POSTGRES:
        return f"\\u{point:04X}" if point <= 0xFFFF else f"\\U{point:08X}"
    if flavor == JAVA:  # forms java.util.regex and Joni's Java syntax both read (no \\x{...})
        if point <= 0xFF:
            return f"\\x{point:02X}"
        return f"\\u{point:04X}" if point <= 0xFFFF else char
    return f"\\x{{{point:X}}}"


def _class_body(ranges: Ranges, flavor: str) -> str:
    parts = []
    for lo, hi in ranges:
        first = _char(lo, flavor, True)
        if hi == lo:
            parts.append(first)
        elif hi == lo + 1:
            parts.append(first + _char(hi, flavor, True))
        else:
            parts.append(f"{first}-{_char(hi, flavor, True)}")
    return "".join(parts)


def _set(ranges: Ranges, flavor: str) -> str:
    ranges = _without_surrogates(ranges)
    if ranges == ALL:
        return "(?s:.)" if flavor == RE2 else "."
    if not ranges:
        raise Untranslatable("an empty character class")
    if _contains(ranges, 0):
        return f"[^{_class_body(_complement(ranges), flavor)}]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(ranges[0][0], flavor, False)
    return f"[{_class_body(ranges, flavor)}]"


def _end_set(items: tuple[Node, ...], *, first: bool) -> Ranges | None:
    """The characters the first (or last) character these items consume can be, if known."""
    for item in items if first else reversed(items):
        if item.kind in _ASSERTIONS:
            continue  # consumes nothing: look further
        if item.kind == "set":
            return item.ranges
        if item.kind == "cat":
            return _end_set(item.items, first=first)
        if item.kind == "rep":
            return _end_set(item.items, first=first) if item.low >= 1 else None
        if item.kind == "alt":
            branches = [_end_set((branch,), first=first) for branch in item.items]
            if any(b is None for b in branches):
                return None
            return _normalize([span for b in branches for span in b or ()])
        return None
    return None


def _is_word(ranges: Ranges | None) -> bool | None:
    """True when every character of the set is a word character, False when none is."""
    if ranges is None:
        return None
    if _normalize([*ranges, *WORD]) == WORD:
        return True
    if not any(lo <= w_hi and w_lo <= hi for lo, hi in ranges for w_lo, w_hi in WORD):
        return False
    return None


def _boundary(kind: str, before: tuple[Node, ...], after: tuple[Node, ...]) -> str:
    """A word boundary (or not) as one lookaround when a neighbour's character class decides
    one side: `\\bSQLSTATE` needs only "no word character before"."""
    word = _WORD_CLASS
    nxt = _is_word(_end_set(after, first=True))
    if nxt is not None:  # the next character is known to be a word character, or not one
        boundary_needs_word_before = not nxt
        wants_word = boundary_needs_word_before if kind == "wb" else nxt
        return f"(?<={word})" if wants_word else f"(?<!{word})"
    prev = _is_word(_end_set(before, first=False))
    if prev is not None:
        boundary_needs_word_after = not prev
        wants_word = boundary_needs_word_after if kind == "wb" else prev
        return f"(?={word})" if wants_word else f"(?!{word})"
    return _LOOKAROUND[kind]


def render(node: Node, flavor: str) -> str:
    """The regex text for `flavor` (re2, postgres, java); Java texts expect a `(?s)` prefix."""
    text, _ = _render(node, flavor)
    return text


def _render(node: Node, flavor: str) -> tuple[str, bool]:
    """(text, is_atom): an atom can take a repetition operator as it is."""
    if node.kind == "set":
        return _set(node.ranges, flavor), True
    if node.kind == "empty":
        return "", False
    if node.kind in _ANCHORS[flavor]:
        return _ANCHORS[flavor][node.kind], False
    if node.kind == "cat":
        parts = []
        for index, item in enumerate(node.items):
            if item.kind in ("wb", "nwb") and flavor != RE2:
                text = _boundary(item.kind, node.items[:index], node.items[index + 1 :])
            else:
                text, _ = _render(item, flavor)
            parts.append(f"(?:{text})" if item.kind == "alt" else text)
        return "".join(parts), False
    if node.kind == "alt":
        return "|".join(_render(item, flavor)[0] for item in node.items), False
    if node.kind == "rep":
        text, atom = _render(node.items[0], flavor)
        if not atom:
            text = f"(?:{text})"
        low, high = node.low, node.high
        if flavor == POSTGRES and max(low, high or 0) > _PG_MAX_REPEAT:
            raise Untranslatable(f"a repetition count above {_PG_MAX_REPEAT} (ARE's limit)")
        if (low, high) == (0, None):
            suffix = "*"
        elif (low, high) == (1, None):
            suffix = "+"
        elif (low, high) == (0, 1):
            suffix = "?"
        elif high is None:
            suffix = f"{{{low},}}"
        elif low == high:
            suffix = f"{{{low}}}"
        else:
            suffix = f"{{{low},{high}}}"
        return text + suffix, False
    raise AssertionError(node.kind)  # pragma: no cover


def translate(regex: str, flavor: str, *, ignore_case: bool = False) -> str:
    """`regex` (RE2 syntax, read under `(?s)`) for `flavor`, matching exactly the same texts.

    Java texts carry their own `(?s)` so `.` reaches newlines; they use no other flag.
    """
    if flavor not in FLAVORS:
        raise ValueError(f"unknown regex flavor {flavor!r}")
    text = render(parse(regex, ignore_case=ignore_case), flavor)
    return "(?s)" + text if flavor == JAVA else text
