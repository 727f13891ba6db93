"""Topic rules from the config's [topics] table: the rule types and their parsing (matching is decide/topics.py).

A term is kept as written and as its normalised tokens ("x*" = any word starting x), so matching needs
no second pass over the config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from monitor.errors import ConfigError
from monitor.settings import registry
from monitor.text.arabic import iter_tokens, normalize

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Term:
    """A configured term: its text as written and its normalised tokens ("x*" = any word starting x)."""

    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    name: str
    terms: tuple[Term, ...]
    refer: tuple[Term, ...]  # anaphora ("الحلف"): count only after an explicit term of the group
    weight: float


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    groups: tuple[Group, ...]
    require: tuple[str, ...]
    threshold: float
    proximity: int
    boost_proximity: int
    sentence_weight: float
    neighbour_weight: float
    title_weight: float
    ignore: tuple[Term, ...]
    exclude: tuple[Term, ...]
    lead_weight: float = 0.0

    def __hash__(self) -> int:
        # The matcher's memos are keyed by the topic on every article: hashing its hundreds of terms each
        # time costs more than the lookup, so the hash (of the same fields as equality) is computed once.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached


def _term(key: str, raw: str) -> Term:
    tokens: list[str] = []
    for piece in normalize(raw).split():
        wildcard = piece.endswith("*")
        words = [t for t, _, _ in iter_tokens(piece)]
        if len(words) != 1 or (wildcard and piece[:-1] != words[0]):
            raise ConfigError(key, f"{raw!r}: each word must be letters/digits, optionally ending in '*'")
        tokens.append(words[0] + ("*" if wildcard else ""))
    if not tokens:
        raise ConfigError(key, f"{raw!r} has no words")
    return Term(raw, tuple(tokens))


def _terms(key: str, raw: tuple[str, ...]) -> tuple[Term, ...]:
    return tuple(_term(f"{key}[{i}]", t) for i, t in enumerate(raw))


def _group(key: str, name: str, raw: Any, required: bool) -> Group:
    if not _NAME.match(name):
        raise ConfigError(key, "group names are lower-case letters, digits and '_'")
    values = registry.read_table(key, raw, registry.GROUP.keys)
    weight = values["weight"]
    return Group(
        name=name,
        terms=_terms(f"{key}.terms", values["terms"]),
        refer=_terms(f"{key}.refer", values["refer"]),
        weight=(0.0 if required else 0.5) if weight is None else weight,
    )


def _topic(name: str, raw: Any) -> Topic:
    key = f"topics.{name}"
    if not _NAME.match(name):
        raise ConfigError(key, "topic names are lower-case letters, digits and '_', starting with a letter")
    values = registry.read_table(key, raw, registry.TOPIC.keys, nested=("groups",))
    groups_raw = raw.get("groups")
    if not isinstance(groups_raw, Mapping) or not groups_raw:
        raise ConfigError(f"{key}.groups", "must be a table of term groups ([topics.NAME.groups.GROUP])")
    require: tuple[str, ...] = values["require"]
    for r in require:
        if r not in groups_raw:
            raise ConfigError(f"{key}.require", f"names group {r!r}, which is not defined under {key}.groups")
    if len(set(require)) != len(require):
        raise ConfigError(f"{key}.require", "lists a group twice")
    groups = tuple(_group(f"{key}.groups.{g}", g, graw, g in require) for g, graw in groups_raw.items())
    return Topic(
        name=name,
        description=values["description"],
        groups=groups,
        require=require,
        threshold=values["threshold"],
        proximity=values["proximity"],
        boost_proximity=values["boost_proximity"],
        sentence_weight=values["sentence_weight"],
        neighbour_weight=values["neighbour_weight"],
        title_weight=values["title_weight"],
        ignore=_terms(f"{key}.ignore", values["ignore"]),
        exclude=_terms(f"{key}.exclude", values["exclude"]),
        lead_weight=values["lead_weight"],
    )


def parse_topics(spec: Mapping[str, Any]) -> list[Topic]:
    """Parse the config's [topics] table (topic name -> table). Raises ConfigError naming the bad key."""
    if not isinstance(spec, Mapping):
        raise ConfigError("topics", "must be a table of topics ([topics.NAME])")
    return [_topic(name, raw) for name, raw in spec.items()]
