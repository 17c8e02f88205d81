"""Template mining: group messages that differ only in their variable parts, and name each group
by a template in which `<*>` stands for what varies. Deterministic and independent of input order.
"""

# Why not Drain (or drain3)? Drain reads messages one at a time, so its groups depend on input
# order, and it merges any two same-length messages that share half their tokens, which joins
# templates that differ in one constant word ("VM Started" / "VM Stopped") and splits templates
# whose variable is a list or an optional part. On the 14 Loghub-2k sets (benchmarks/loghub.py)
# drain3 0.9.11 behind the same masking scores GA 0.83 / FGA 0.82; this miner 0.98 / 0.96.
#
# The miner works on the set of distinct masked messages, in five passes:
#   1. mask each message (errscope.masking) and group identical token sequences;
#   2. group sequences whose tokens agree once digit runs count as variables and a repeated
#      variable token counts once ("bglio46" ~ "bglio559", "blk_1 blk_2 blk_3" ~ "blk_4");
#   3. among sequences of one length that agree everywhere but one position (siblings), merge
#      those whose differing tokens are variable: one is a wildcard pattern that matches the
#      other ("<*>" ~ "admin", "(<*>)" ~ "()"), or the position has taken VARIETY or more
#      distinct values. The first token needs LEAD_CONTEXT constant tokens beside it, as log
#      lines usually start with a constant (a process or event name), and a position with no
#      constant context never merges. Repeated until nothing changes;
#   4. merge sequences of any length whose constant tokens (skeletons) are the same: the
#      difference lies only in wildcard tokens, so it is a variable of varying length;
#   5. merge identical templates and order them by count, then text.
# Every pass depends only on the set of messages, never on their order.

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import eq

from errscope.masking import WILDCARD, mask_tokens

VARIETY = 5
"""Distinct values that make a position variable when nothing else does (siblings pass)."""

LEAD_CONTEXT = 4
"""Constant tokens needed beside a varying first token before it may become a variable."""

_MIN_SKELETON = 2  # constant tokens a skeleton needs before messages of other lengths may join
_SHAPE_RE = re.compile(r"(?:<\*>|\d+)(?:[.:_\-]?(?:<\*>|\d+))*")
_ALNUM_RE = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class Template:
    """One group of messages: its template, total count, and which inputs belong to it."""

    text: str
    """Tokens joined by single spaces, `<*>` where the members differ."""
    count: int
    """Sum of the members' counts."""
    members: tuple[int, ...]
    """Positions of the member messages in the input, ascending."""
    example: str
    """The member with the highest count (ties: the smallest message)."""

    @property
    def tokens(self) -> tuple[str, ...]:
        """The template split into tokens."""
        return tuple(self.text.split())


class _Cluster:
    """A group under construction. `variety` maps a position to distinct values seen there
    (capped at VARIETY); positions that never varied are absent."""

    __slots__ = ("tokens", "count", "members", "variety", "_hashes")

    def __init__(
        self,
        tokens: tuple[str, ...],
        count: int,
        members: list[int],
        variety: dict[int, frozenset[str]] | None = None,
    ) -> None:
        self.tokens = tokens
        self.count = count
        self.members = members
        self.variety = variety if variety is not None else {}
        self._hashes: tuple[array[int], array[int]] | None = None

    def sort_key(self) -> tuple[int, tuple[str, ...]]:
        return (-self.count, self.tokens)

    def values(self, position: int) -> frozenset[str]:
        return self.variety.get(position) or frozenset((self.tokens[position],))

    def hashes(self) -> tuple[array[int], array[int]]:
        """Hashes of every prefix and suffix of the tokens: (prefix[p], suffix[p + 1]) is the
        same for two clusters that differ at position p only (up to hash collisions)."""
        if self._hashes is None:
            prefix = array("q", [0])
            for token in self.tokens:
                prefix.append(hash((prefix[-1], token)))
            suffix = array("q", [0])
            for token in reversed(self.tokens):
                suffix.append(hash((suffix[-1], token)))
            suffix.reverse()
            self._hashes = (prefix, suffix)
        return self._hashes

    def forget_hashes(self) -> None:
        self._hashes = None


def mine(messages: Iterable[tuple[str, int]]) -> list[Template]:
    """Templates for (message, count) pairs, by count (descending) then text.

    Every input position is a member of exactly one template. The same message may occur more
    than once: each occurrence is a member and adds its count.
    """
    texts: list[str] = []
    counts: list[int] = []
    exact: dict[tuple[str, ...], _Cluster] = {}
    pool: dict[str, str] = {}  # one string object per distinct token: less memory
    for index, (message, count) in enumerate(messages):
        texts.append(message)
        counts.append(count)
        tokens = tuple([pool.setdefault(token, token) for token in mask_tokens(message)])
        cluster = exact.get(tokens)
        if cluster is None:
            exact[tokens] = _Cluster(tokens, count, [index])
        else:
            cluster.count += count
            cluster.members.append(index)
    clusters = sorted(exact.values(), key=_Cluster.sort_key)
    clusters = _merge_shapes(clusters)
    clusters = _merge_siblings(clusters)
    clusters = _merge_skeletons(clusters)
    return _finish(clusters, texts, counts)


def _merge_shapes(clusters: list[_Cluster]) -> list[_Cluster]:
    """Pass 2: digit runs as variables, and a run of one variable token counted once."""
    groups: dict[tuple[str, ...], list[_Cluster]] = defaultdict(list)
    for cluster in clusters:
        groups[_shape(cluster.tokens)].append(cluster)
    merged: list[_Cluster] = []
    for shape_key, group in groups.items():
        if all(len(cluster.tokens) == len(shape_key) for cluster in group):
            merged.append(group[0] if len(group) == 1 else _merge_aligned(group))
            continue
        # Lengths differ (a list of variables of varying length): the shape is the template.
        variety: dict[int, set[str]] = defaultdict(set)
        for cluster in group:
            shaped = _SHAPE_RE.sub(WILDCARD, " ".join(cluster.tokens)).split(" ")
            for position, (_, run) in enumerate(_runs(shaped, cluster.tokens)):
                variety[position].update(run)
        merged.append(
            _Cluster(
                shape_key,
                sum(cluster.count for cluster in group),
                [index for cluster in group for index in cluster.members],
                {position: _cap(values) for position, values in variety.items() if len(values) > 1},
            )
        )
    return sorted(merged, key=_Cluster.sort_key)


def _shape(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens with digit runs as wildcards, and repeated wildcard tokens once."""
    if not tokens:
        return tokens
    shaped = _SHAPE_RE.sub(WILDCARD, " ".join(tokens)).split(" ")  # no match crosses a space
    if not any(map(eq, shaped, shaped[1:])):
        return tuple(shaped)
    return tuple(shape for shape, _ in _runs(shaped, tokens))


def _runs(shaped: list[str], tokens: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """Each token of the shape, with the original tokens it stands for."""
    runs: list[tuple[str, list[str]]] = []
    for token, shape in zip(tokens, shaped, strict=True):
        if runs and runs[-1][0] == shape and WILDCARD in shape:
            runs[-1][1].append(token)
        else:
            runs.append((shape, [token]))
    return runs


def _merge_siblings(clusters: list[_Cluster]) -> list[_Cluster]:
    """Pass 3: same-length clusters that differ at one position whose values are variable."""
    by_length: dict[int, list[_Cluster]] = defaultdict(list)
    for cluster in clusters:
        by_length[len(cluster.tokens)].append(cluster)
    merged: list[_Cluster] = []
    for length in sorted(by_length):
        group = by_length[length]
        changed = True
        while changed:
            changed = False
            for position in range(length):
                group, merged_any = _merge_at(group, position)
                changed = changed or merged_any
        for cluster in group:
            cluster.forget_hashes()
        merged.extend(group)
    return sorted(merged, key=_Cluster.sort_key)


def _merge_at(clusters: list[_Cluster], position: int) -> tuple[list[_Cluster], bool]:
    buckets: dict[tuple[int, int], list[_Cluster]] = defaultdict(list)
    for cluster in clusters:
        prefix, suffix = cluster._hashes or cluster.hashes()
        buckets[(prefix[position], suffix[position + 1])].append(cluster)
    result: list[_Cluster] = []
    merged_any = False
    for bucket in buckets.values():
        if len(bucket) == 1:
            result.extend(bucket)
            continue
        # hashes can collide: regroup by the actual tokens
        families: dict[tuple[str, ...], list[_Cluster]] = defaultdict(list)
        for cluster in bucket:
            families[cluster.tokens[:position] + cluster.tokens[position + 1 :]].append(cluster)
        for rest, family in families.items():
            if len(family) == 1:
                result.extend(family)
                continue
            for part in _split_family(family, position, rest):
                if len(part) == 1:
                    result.extend(part)
                else:
                    result.append(_merge_aligned(part))
                    merged_any = True
    if not merged_any:
        return clusters, False
    result.sort(key=_Cluster.sort_key)
    return result, True


def _split_family(
    family: list[_Cluster], position: int, rest: tuple[str, ...]
) -> list[list[_Cluster]]:
    """The parts of a sibling family that should merge (each part a list of clusters)."""
    context = sum(1 for token in rest if not _is_wild(token))
    if context == 0:
        return [[cluster] for cluster in family]
    values = sorted({cluster.tokens[position] for cluster in family})
    seen: set[str] = set()
    for cluster in family:
        seen |= cluster.values(position)
    if len(seen) >= VARIETY and (position > 0 or context >= LEAD_CONTEXT):
        return [family]
    parent = {value: value for value in values}

    def find(value: str) -> str:
        while parent[value] != value:
            value = parent[value]
        return value

    for pattern in values:
        if WILDCARD not in pattern:
            continue
        for value in values:
            if value != pattern and _glob_match(pattern, value):
                low, high = sorted((find(pattern), find(value)))
                parent[high] = low
    parts: dict[str, list[_Cluster]] = defaultdict(list)
    for cluster in family:
        parts[find(cluster.tokens[position])].append(cluster)
    return list(parts.values())


def _merge_skeletons(clusters: list[_Cluster]) -> list[_Cluster]:
    """Pass 4: clusters whose constant tokens are the same, whatever their wildcards."""
    groups: dict[tuple[str, ...], list[_Cluster]] = defaultdict(list)
    alone: list[_Cluster] = []
    for cluster in clusters:
        if WILDCARD in " ".join(cluster.tokens):
            skeleton = tuple(token for token in cluster.tokens if not _is_wild(token))
        else:
            skeleton = cluster.tokens
        if len(skeleton) >= _MIN_SKELETON:
            groups[skeleton].append(cluster)
        else:
            alone.append(cluster)
    merged = alone
    for skeleton, group in groups.items():
        if len(group) == 1:
            merged.extend(group)
            continue
        if len({len(cluster.tokens) for cluster in group}) == 1 and all(
            _is_wild(a) == _is_wild(b)
            for cluster in group[1:]
            for a, b in zip(group[0].tokens, cluster.tokens, strict=True)
        ):
            merged.append(_merge_aligned(group))
            continue
        # A gap between two constant tokens becomes one <*> if any member has wildcards there.
        gaps = [False] * (len(skeleton) + 1)
        for cluster in group:
            gap = 0
            for token in cluster.tokens:
                if _is_wild(token):
                    gaps[gap] = True
                else:
                    gap += 1
        tokens: list[str] = []
        for gap, constant in enumerate(skeleton):
            if gaps[gap]:
                tokens.append(WILDCARD)
            tokens.append(constant)
        if gaps[-1]:
            tokens.append(WILDCARD)
        merged.append(
            _Cluster(
                tuple(tokens),
                sum(cluster.count for cluster in group),
                [index for cluster in group for index in cluster.members],
            )
        )
    return merged


def _finish(
    clusters: list[_Cluster], texts: Sequence[str], counts: Sequence[int]
) -> list[Template]:
    """Pass 5: one template per text, ordered by count then text."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for cluster in clusters:
        by_text[" ".join(cluster.tokens)].extend(cluster.members)
    templates = []
    for text, members in by_text.items():
        members.sort()
        example = min(members, key=lambda index: (-counts[index], texts[index]))
        templates.append(
            Template(
                text=text,
                count=sum(counts[index] for index in members),
                members=tuple(members),
                example=texts[example],
            )
        )
    templates.sort(key=lambda template: (-template.count, template.text))
    return templates


def _merge_aligned(group: list[_Cluster]) -> _Cluster:
    """One cluster for same-length clusters: agreeing positions stay, others generalise."""
    group = sorted(group, key=_Cluster.sort_key)
    length = len(group[0].tokens)
    tokens = []
    variety: dict[int, frozenset[str]] = {}
    for position in range(length):
        column = [cluster.tokens[position] for cluster in group]
        tokens.append(_generalise(column))
        values: set[str] = set()
        for cluster in group:
            values |= cluster.values(position)
            if len(values) >= VARIETY:
                break
        if len(values) > 1:
            variety[position] = _cap(values)
    return _Cluster(
        tuple(tokens),
        sum(cluster.count for cluster in group),
        [index for cluster in group for index in cluster.members],
        variety,
    )


def _generalise(column: Sequence[str]) -> str:
    """One token for several: their common prefix and suffix around a wildcard."""
    first = column[0]
    if all(token == first for token in column):
        return first
    prefix = first
    suffix = first
    for token in column[1:]:
        size = 0
        limit = min(len(prefix), len(token))
        while size < limit and prefix[size] == token[size]:
            size += 1
        prefix = prefix[:size]
        size = 0
        limit = min(len(suffix), len(token))
        while size < limit and suffix[-1 - size] == token[-1 - size]:
            size += 1
        suffix = suffix[len(suffix) - size :]
    shortest = min(len(token) for token in column)
    if len(prefix) + len(suffix) > shortest:
        suffix = suffix[len(prefix) + len(suffix) - shortest :]
    # never keep part of a wildcard
    prefix = prefix.removesuffix("<*").removesuffix("<")
    suffix = suffix.removeprefix("*>").removeprefix(">")
    return prefix + WILDCARD + suffix


def _glob_match(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` with each `<*>` standing for any string (linear time)."""
    first, *middle, last = pattern.split(WILDCARD)
    if len(first) + len(last) > len(text) or not (text.startswith(first) and text.endswith(last)):
        return False
    start = len(first)
    end = len(text) - len(last)
    for part in middle:
        found = text.find(part, start, end)
        if found < 0:
            return False
        start = found + len(part)
    return True


def _is_wild(token: str) -> bool:
    """A token that is wildcards and punctuation only: `<*>`, `(<*>)`, `<*>:`."""
    return WILDCARD in token and _ALNUM_RE.search(token.replace(WILDCARD, "")) is None


def _cap(values: set[str]) -> frozenset[str]:
    return frozenset(sorted(values)[:VARIETY])


def assignments(templates: Sequence[Template]) -> list[int]:
    """For each input position, the index in `templates` of the template it belongs to."""
    size = sum(len(template.members) for template in templates)
    labels = [-1] * size
    for number, template in enumerate(templates):
        for index in template.members:
            labels[index] = number
    return labels
