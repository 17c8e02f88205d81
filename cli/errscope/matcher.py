"""Multi-pattern matching in linear time: which registry patterns match a message, in one pass.

RE2 is the reference engine: it guarantees time linear in the message whatever the pattern,
validates every pattern at load time, and DuckDB's regexp functions use it too, so exported SQL
keeps the same semantics. Hyperscan (also automaton-based, linear) scans many times faster, so
patterns it provably reads the same way run there; the rest run in an RE2 set. `.` matches
newlines everywhere (HTML pages and stack traces span lines).

Why a translation step and not Hyperscan as is: Hyperscan follows PCRE, which differs from RE2 in
a few places that change match/no-match: `\\s`/`\\S` (PCRE counts vertical tab as space), `$`
(PCRE also matches before a final newline), Unicode classes and non-ASCII case folding. The
translator rewrites `\\s`, `\\S` and `$` into RE2's exact meaning and sends patterns with the
others to RE2, so both engines answer identically (tests/test_matcher.py checks it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import re2

from errscope.registry import Pattern

try:  # Hyperscan wheels exist for Linux/macOS on x86_64; elsewhere RE2 does all the work.
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None  # type: ignore[assignment]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 256 << 20

_RE2_SPACE = r"\t\n\f\r "  # RE2's \s: exactly these five characters


def pattern_regex(pattern: Pattern) -> str:
    """The RE2 regex a pattern compiles to (substrings are escaped; flags are inline)."""
    body = re2.escape(pattern.text) if pattern.kind == "substring" else pattern.text
    flags = "(?is)" if pattern.ignore_case else "(?s)"
    return f"{flags}(?:{body})"


def check_pattern(pattern: Pattern) -> str | None:
    """None when RE2 compiles the pattern, else RE2's reason."""
    try:
        re2.compile(pattern_regex(pattern), _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


_ALLOWED_GROUPS = (
    "(?:",
    "(?i)",
    "(?s)",
    "(?is)",
    "(?si)",
    "(?i:",
    "(?s:",
    "(?is:",
    "(?si:",
    "(?-i:",
)
# Non-ASCII characters RE2's (?i) folds onto ASCII letters: KELVIN SIGN (k) and LONG S (s).
# A message holding one is matched by RE2 alone.
_FOLDS_TO_ASCII = ("\u212a", "\u017f")


def _case_variants(char: str) -> str:
    """The character and every single character its case maps reach (its fold orbit)."""
    seen = {char}
    frontier = [char]
    while frontier:
        current = frontier.pop()
        for other in (current.lower(), current.upper(), current.casefold(), current.title()):
            if len(other) == 1 and other not in seen:
                seen.add(other)
                frontier.append(other)
    return "".join(sorted(seen))


def _caseless(text: str) -> bool:
    """True when no non-ASCII character of `text` has another case."""
    return all(c.isascii() or c.lower() == c.upper() == c for c in text)


def hyperscan_regex(regex: str) -> str | None:
    """The regex rewritten so Hyperscan matches exactly what RE2 matches, or None if unsure."""
    expand = False
    if ("(?i" in regex or "(?si" in regex) and not _caseless(regex):
        # Hyperscan folds only ASCII case. When case-insensitivity covers the whole pattern,
        # each cased non-ASCII letter becomes an explicit class of its case variants;
        # otherwise (scoped flags) leave the pattern to RE2.
        whole = regex.startswith("(?is)") or regex.startswith("(?s)(?:(?i)")
        if not whole or "(?-i" in regex:
            return None
        expand = True
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            if i + 1 >= len(regex):
                return None
            nxt = regex[i + 1]
            if nxt == "s":
                out.append(_RE2_SPACE if in_class else f"[{_RE2_SPACE}]")
            elif nxt == "S":
                if in_class:
                    return None
                out.append(f"[^{_RE2_SPACE}]")
            elif nxt in "pPCQEXRhHvVKNGZ" or ("1" <= nxt <= "9"):
                return None  # Unicode classes and escapes the engines read differently
            else:
                out.append(regex[i : i + 2])
            i += 2
            continue
        if expand and not char.isascii() and not _caseless(char):
            variants = _case_variants(char)
            if in_class:
                if regex.startswith("-", i + 1) or (out and out[-1] == "-"):
                    return None  # a range of cased letters: leave to RE2
                out.append(variants)
            else:
                out.append(f"[{variants}]")
            i += 1
            continue
        if in_class:
            if char == "[" and regex[i : i + 2] == "[:":
                end = regex.find(":]", i + 2)
                if end < 0:
                    return None
                out.append(regex[i : end + 2])
                i = end + 2
                continue
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            opener = "[^" if regex.startswith("[^", i) else "["
            out.append(opener)
            i += len(opener)
            if regex.startswith("]", i):  # a leading ] is a literal in both engines
                out.append("\\]")
                i += 1
            continue
        if regex.startswith("(?", i) and not any(
            regex.startswith(form, i) for form in _ALLOWED_GROUPS
        ):
            return None  # named groups, (?m), (?U) and the like: leave to RE2
        if char == "$":
            out.append("\\z")  # RE2's $ (without m) is the end of text only
        else:
            out.append(char)
        i += 1
    return None if in_class else "".join(out)


def prefilter_regex(regex: str) -> str | None:
    """A Hyperscan regex matching at least every text `regex` matches in RE2, or None.

    For patterns the translator leaves to RE2 because case-insensitivity is scoped (a
    `(?-i:...)` group, `(?i:...)` over a cased non-ASCII letter): with every case flag
    dropped and the whole pattern made case-insensitive, the pattern can only match more,
    and the translator handles that form. A message it matches is then checked by RE2.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            out.append(regex[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "[" and regex[i : i + 2] == "[:":
                end = regex.find(":]", i + 2)
                if end < 0:
                    return None
                out.append(regex[i : end + 2])
                i = end + 2
                continue
            in_class = char != "]"
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            opener = "[^" if regex.startswith("[^", i) else "["
            out.append(opener)
            i += len(opener)
            if regex.startswith("]", i):
                out.append("]")
                i += 1
            continue
        if regex.startswith("(?", i):
            j = i + 2
            while j < len(regex) and regex[j] in "ims-":
                j += 1
            if j > i + 2 and j < len(regex) and regex[j] in ":)":
                kept = "".join(f for f in regex[i + 2 : j] if f in "ms")
                if regex[j] == ":":
                    out.append(f"(?{kept}:" if kept else "(?:")
                elif kept:
                    out.append(f"(?{kept})")
                i = j + 1
                continue
        out.append(char)
        i += 1
    stripped = "".join(out)
    if in_class or not stripped.startswith("(?s)"):
        return None
    return hyperscan_regex("(?is)" + stripped[len("(?s)") :])


# Hyperscan ids of prefilters: this plus the pattern's index.
_PREFILTER = 1 << 16

# Bounded repeats with an upper bound from here on are compiled unbounded (see relaxed_regex).
RELAX_MIN_BOUND = 20


def relaxed_regex(regex: str) -> str | None:
    """`regex` (already translated for Hyperscan) with its long bounded repeats made unbounded,
    or None when it has none.

    Hyperscan's compile time grows with bounded repeats: the 36 default patterns with a
    `[^\\n]{0,60}`-style gap took 1.9 of the 2.8 seconds the whole list takes to compile.
    `{m,n}` (n >= RELAX_MIN_BOUND, m <= 3) becomes `{m,}` (`*`, `+`), which matches every text
    the bounded form matches and possibly more, so a relaxed pattern is only a prefilter: RE2
    confirms the messages it fires on. See split_relaxed.
    """
    out: list[str] = []
    changed = False
    for token, kind in _tokens(regex):
        if kind == "repeat":
            low, _, high = token[1:-1].partition(",")
            if high.isdigit() and int(high) >= RELAX_MIN_BOUND and int(low or 0) <= 3:
                out.append({0: "*", 1: "+"}.get(int(low or 0), f"{{{int(low)},}}"))
                changed = True
                continue
        out.append(token)
    return "".join(out) if changed else None


def split_relaxed(regex: str) -> tuple[str | None, str] | None:
    """The top-level alternatives of `regex` apart: (the unchanged ones, exact; the relaxed
    ones, a prefilter), or None when no alternative has a long bounded repeat.

    A registry regex is `(?s)(?:` [`(?i)`] alternatives `)`. Most alternatives have no gap, and
    a message they match needs no confirming; only a message that the relaxed part alone
    fires on is checked by RE2 against the whole pattern. Without that split, confirming
    every hit of a pattern cost more matching time than the relaxing saved in compiling.
    """
    if relaxed_regex(regex) is None:
        return None
    split = _alternatives(regex)
    if split is None:
        relaxed = relaxed_regex(regex)
        return (None, relaxed) if relaxed is not None else None
    head, texts = split
    relaxings = [relaxed_regex(text) for text in texts]
    exact = [text for text, loose in zip(texts, relaxings, strict=True) if loose is None]
    loose = [text for text in relaxings if text is not None]
    return (
        head + "|".join(exact) + ")" if exact else None,
        head + "|".join(loose) + ")",
    )


def split_untranslatable(regex: str) -> tuple[str, str] | None:
    """For a pattern Hyperscan cannot take whole (hyperscan_regex gives None): its top-level
    alternatives apart, (the exact Hyperscan form of those it can take, a prefilter of the
    rest), or None when no such split exists.

    Scoped case flags and cased non-ASCII letters are each fine alone but not together
    (`(?i)overloaded|(?-i:\\bUNAVAILABLE\\b)|đang bận`): whole, the pattern is a prefilter
    made case-insensitive throughout, so every "unavailable" would be confirmed by RE2. Split,
    only a message that the untranslatable alternatives alone fire on is.
    """
    split = _alternatives(regex)
    if split is None:
        return None
    head, texts = split
    exact: list[str] = []
    rest: list[str] = []
    for text in texts:  # each alternative joins the exact ones while they still translate
        (exact if hyperscan_regex(head + "|".join([*exact, text]) + ")") else rest).append(text)
    if not exact or not rest:
        return None
    prefilter = prefilter_regex(head + "|".join(rest) + ")")
    whole = hyperscan_regex(head + "|".join(exact) + ")")
    if whole is None or prefilter is None:
        return None
    return whole, prefilter


def _alternatives(regex: str) -> tuple[str, list[str]] | None:
    """A registry regex `(?s)(?:` [`(?i)`] alternatives `)` as its head and the texts of its
    top-level alternatives; None for any other shape, or when a flag set at the top level
    reaches the alternatives after it (they could not be taken apart)."""
    head = "(?s)(?:(?i)" if regex.startswith("(?s)(?:(?i)") else "(?s)(?:"
    branches: list[list[str]] = [[]]
    depth = 0
    for token, kind in _tokens(regex[len(head) :]):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth < 0:  # the outer group closes: it must be the end
                break
        elif kind == "bar" and depth == 0:
            branches.append([])
            continue
        elif depth == 0 and token.startswith("(?"):  # a flag reaching later alternatives
            return None
        branches[-1].append(token)
    body = "".join("".join(b) for b in branches) + "|" * (len(branches) - 1)
    if not regex.startswith("(?s)(?:") or depth != -1 or len(head) + len(body) + 1 != len(regex):
        return None
    return head, ["".join(b) for b in branches]


def _relaxed_candidates(candidates: dict[int, str]) -> dict[int, str]:
    """Hyperscan expressions by id with long bounded repeats relaxed (split_relaxed): a
    pattern's exact alternatives keep its id, the relaxed ones go under _PREFILTER + id."""
    relaxed: dict[int, str] = {}
    for i, regex in candidates.items():
        split = split_relaxed(regex)
        if split is None:
            relaxed[i] = regex
            continue
        exact, loose = split
        if exact is not None and i < _PREFILTER:
            relaxed[i] = exact
        relaxed[i if i >= _PREFILTER else _PREFILTER + i] = loose
    return relaxed


def _complete(relaxed: dict[int, str], accepted: list[int]) -> bool:
    """False when Hyperscan refused part of a split pattern: its other part alone would
    miss matches (a whole pattern refused is fine, RE2 runs it)."""
    taken = set(accepted)
    return all(
        (i in taken) == (_PREFILTER + i in taken)
        for i in relaxed
        if i < _PREFILTER and _PREFILTER + i in relaxed
    )


def _tokens(regex: str) -> list[tuple[str, str]]:
    """`regex` cut into tokens: escapes, classes, `{m,n}` repeats, group opens and closes,
    `|`, and single characters, each with its kind."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            tokens.append((regex[i : i + 2], "char"))
            i += 2
        elif char == "[":
            j = i + (2 if regex.startswith("[^", i) else 1)
            if regex.startswith("]", j) or regex.startswith("\\]", j):
                j += 1 if regex[j] == "]" else 2
            while j < len(regex) and regex[j] != "]":
                if regex[j] == "\\":
                    j += 2
                elif regex.startswith("[:", j) and regex.find(":]", j + 2) > 0:
                    j = regex.find(":]", j + 2) + 2
                else:
                    j += 1
            tokens.append((regex[i : j + 1], "class"))
            i = j + 1
        elif char == "{":
            j = regex.find("}", i)
            inner = regex[i + 1 : j] if j > 0 else ""
            low, comma, high = inner.partition(",")
            if comma and low.isdigit() and high.isdigit():  # RE2 reads `{,n}` as text
                tokens.append((regex[i : j + 1], "repeat"))
                i = j + 1
            else:
                tokens.append((char, "char"))
                i += 1
        elif char == "(":
            if regex.startswith("(?", i) and not regex.startswith("(?:", i):
                j = regex.find(")", i)  # an inline flag group, `(?i)`, is not a group
                if j > 0 and regex[i + 2 : j].replace("-", "").isalpha():
                    tokens.append((regex[i : j + 1], "char"))
                    i = j + 1
                    continue
            tokens.append((char, "open"))
            i += 1
        elif char == ")":
            tokens.append((char, "close"))
            i += 1
        elif char == "|":
            tokens.append((char, "bar"))
            i += 1
        else:
            tokens.append((char, "char"))
            i += 1
    return tokens


def cache_dir() -> Path:
    """Where errscope keeps caches: $ERRSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/errscope,
    else ~/.cache/errscope. Everything there is safe to delete."""
    explicit = os.environ.get("ERRSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "errscope"


class Matcher:
    """Answers "which patterns match this message" in one pass over the message."""

    def __init__(self, patterns: Sequence[Pattern], *, use_hyperscan: bool = True) -> None:
        self.patterns = tuple(patterns)
        regexes = [pattern_regex(p) for p in self.patterns]
        translated = [hyperscan_regex(r) if hyperscan and use_hyperscan else None for r in regexes]
        candidates = {i: t for i, t in enumerate(translated) if t is not None}
        whole = dict(candidates)  # untranslatable patterns as one prefilter each
        for i, regex in enumerate(regexes):  # RE2 runs these only where their prefilter fires
            if i in whole or not whole:
                continue
            prefilter = prefilter_regex(regex)
            if prefilter is not None:
                candidates[_PREFILTER + i] = whole[_PREFILTER + i] = prefilter
            split = split_untranslatable(regex)
            if split is not None:
                candidates[i], candidates[_PREFILTER + i] = split
        # Most split first; when Hyperscan refuses one part of a split pattern (the other
        # alone would miss matches), the next, less split form.
        for tried in (_relaxed_candidates(candidates), candidates, whole):
            self._hs, self._hs_ids = _hyperscan_database(tried)
            if _complete(tried, self._hs_ids):
                break
        hs_set = set(self._hs_ids)
        self._confirm = {
            i - _PREFILTER: re2.compile(regexes[i - _PREFILTER], _OPTIONS)
            for i in self._hs_ids
            if i >= _PREFILTER
        }
        self._re2_ids = [
            i for i in range(len(regexes)) if i not in hs_set and i not in self._confirm
        ]
        self._set = re2.Set.SearchSet(_OPTIONS)
        for i in self._re2_ids:
            self._set.Add(regexes[i])
        self._set.Compile()
        self._scratch = hyperscan.Scratch(self._hs) if self._hs is not None else None
        self._found: list[int] = []
        self._regexes = regexes
        self._all_re2: re2.Set | None = None

    @property
    def engines(self) -> dict[str, int]:
        """How many patterns each engine runs: Hyperscan alone, Hyperscan with RE2 confirming
        its hits (relaxed patterns, prefilters), and RE2 on every message."""
        direct = sum(1 for i in self._hs_ids if i < _PREFILTER and i not in self._confirm)
        return {
            "hyperscan": direct,
            "hyperscan+re2": len(self._confirm),
            "re2": len(self.patterns) - direct - len(self._confirm),
        }

    def _confirmed(self, found: list[int], message: str) -> list[int]:
        """`found` (sorted) with prefilter hits replaced by the patterns RE2 confirms."""
        first = next(k for k, i in enumerate(found) if i >= _PREFILTER)
        kept = found[:first]
        exact = set(kept)  # a pattern whose exact part matched needs no confirming
        for i in found[first:]:
            if i - _PREFILTER not in exact and self._confirm[i - _PREFILTER].search(message):
                kept.append(i - _PREFILTER)
        kept.sort()
        return kept

    def _on_match(self, pattern_id: int, start: int, end: int, flags: int, context: object) -> None:
        self._found.append(pattern_id)

    def matches(self, message: str) -> list[int]:
        """Indexes (0-based, ascending) of every pattern that matches somewhere in the message."""
        if not message or not self.patterns:
            return []
        found: list[int] = []
        if self._hs is not None and any(c in message for c in _FOLDS_TO_ASCII):
            return self._re2_only(message)
        if self._hs is not None:
            self._found = found
            self._hs.scan(
                message.encode("utf-8", "replace"),
                match_event_handler=self._on_match,
                scratch=self._scratch,
            )
        if self._re2_ids:
            hits = self._set.Match(message)
            if hits:
                found.extend(self._re2_ids[h] for h in hits)
        found.sort()
        if found and found[-1] >= _PREFILTER:
            return self._confirmed(found, message)
        return found

    def matches_many(self, messages: Sequence[str | None]) -> list[list[int]]:
        """`matches` for many messages; the same answers, with less overhead per message."""
        if self._hs is None or not self.patterns:
            return [self.matches(m or "") for m in messages]
        results: list[list[int]] = []
        append = results.append
        scan, scratch = self._hs.scan, self._scratch
        re2_set, re2_ids = (self._set, self._re2_ids) if self._re2_ids else (None, None)
        kelvin, long_s = _FOLDS_TO_ASCII
        found: list[int] = []
        on_match = found.append

        def handler(pattern_id: int, start: int, end: int, flags: int, context: object) -> None:
            on_match(pattern_id)

        for message in messages:
            if not message:
                append([])
                continue
            if kelvin in message or long_s in message:
                append(self._re2_only(message))
                continue
            try:
                data = message.encode()
            except UnicodeEncodeError:  # a lone surrogate: replaced, as matches() does
                data = message.encode("utf-8", "replace")
            # Positional arguments: keyword parsing cost 0.3 us of the 3.3 per message.
            scan(data, handler, 0, None, scratch)
            if re2_set is not None:
                hits = re2_set.Match(message)
                if hits:
                    found.extend(re2_ids[h] for h in hits)  # type: ignore[index]
            if found:
                if len(found) > 1:
                    found.sort()
                append(found[:] if found[-1] < _PREFILTER else self._confirmed(found, message))
                found.clear()
            else:
                append([])
        return results

    def _re2_only(self, message: str) -> list[int]:
        if self._all_re2 is None:
            self._all_re2 = re2.Set.SearchSet(_OPTIONS)
            for regex in self._regexes:
                self._all_re2.Add(regex)
            self._all_re2.Compile()
        return sorted(self._all_re2.Match(message) or [])


def _hyperscan_database(candidates: dict[int, str]) -> tuple[Any, list[int]]:
    """A compiled Hyperscan database and the pattern ids in it, cached by its pattern list.

    A pattern Hyperscan refuses (too large, unsupported) is left out and runs in RE2 instead.
    """
    if hyperscan is None or not candidates:
        return None, []
    flags = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    ids = sorted(candidates)
    key = hashlib.sha256(
        "\x00".join(
            [getattr(hyperscan, "__version__", "?"), str(flags)]
            + [f"{i}\x01{candidates[i]}" for i in ids]
        ).encode()
    ).hexdigest()[:32]
    remembered = _COMPILED.get(key)
    if remembered is not None:  # compiled in this process already (the disk cache may be off)
        return remembered
    found = _load_or_compile(key, candidates, ids, flags)
    _COMPILED[key] = found
    return found


# Compiled databases by pattern-list key: read-only, so Matchers in one process share them
# (each Matcher keeps its own scratch space).
_COMPILED: dict[str, tuple[Any, list[int]]] = {}


def _load_or_compile(
    key: str, candidates: dict[int, str], ids: list[int], flags: int
) -> tuple[Any, list[int]]:
    path = cache_dir() / "hyperscan" / f"{key}.db"
    try:
        blob = path.read_bytes()
        accepted = [int(x) for x in path.with_suffix(".ids").read_text().split()]
        return hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK), accepted
    except (OSError, ValueError, hyperscan.error):
        pass
    database = _compile([candidates[i] for i in ids], ids, flags)
    accepted = ids
    if database is None:
        accepted = [i for i in ids if _compile([candidates[i]], [i], flags) is not None]
        database = _compile([candidates[i] for i in accepted], accepted, flags)
        if database is None:
            return None, []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = f".{os.getpid()}.tmp"
        path.with_suffix(".ids" + suffix).write_text(" ".join(map(str, accepted)))
        path.with_suffix(".db" + suffix).write_bytes(hyperscan.dumpb(database))
        os.replace(path.with_suffix(".ids" + suffix), path.with_suffix(".ids"))
        os.replace(path.with_suffix(".db" + suffix), path)
    except OSError:
        pass  # a read-only cache folder: compile again next time
    return database, accepted


def _compile(regexes: list[str], ids: list[int], flags: int) -> Any:
    if not regexes:
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(
            expressions=[r.encode("utf-8") for r in regexes], ids=ids, flags=[flags] * len(ids)
        )
    except hyperscan.error:
        return None
    return database
