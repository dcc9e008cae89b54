"""acl.yaml: which groups may read which files of a document set.

```yaml
default: [everyone]                  # optional; files matching no rule. Absent: settings.default_groups
ignore: [/README.md, "golden/"]      # optional; files in the folder that are not documents
rules:                               # the first rule that matches a file gives its groups
  - match: "docs/hr/salary-*"
    groups: [hr]
  - match: ["docs/finance/", "!docs/finance/public/"]   # a list: gitignore lines, ! excludes again
    groups: [finance]
  - match: "docs/hr/"
    groups: [everyone]
```

Patterns are gitignore patterns (pathspec's ``GitIgnoreSpec``, Git's own semantics) matched against
a file's path relative to the manifest's folder, with ``/`` as separator: ``*`` and ``?`` and
``[abc]`` stay inside one path segment and ``**`` spans segments; a pattern without a ``/`` except
at its end (``*.pdf``, ``README.md``, ``drafts/``) matches at any depth; one with a ``/`` at its
start or in its middle is anchored to the manifest's folder; one ending in ``/`` (or naming a
folder) covers everything below that folder; matching is case-sensitive; trailing spaces are
dropped unless escaped (``\\ ``). ``ignore`` is one gitignore list (``!`` re-includes). Each rule's
``match`` is one pattern or a list read as one gitignore file, so within a rule a later
``!pattern`` excludes again what an earlier one matched; a rule whose patterns match nothing by
construction (only negations, comments, an invalid ``[z-a]`` range that Git would drop silently) is
an error rather than a rule that never applies. README.md documents the language with examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pathspec import GitIgnoreSpec

MANIFEST_NAME = "acl.yaml"


class ManifestError(ValueError):
    pass


def compile_patterns(patterns: list[str], where: str) -> GitIgnoreSpec:
    """One gitignore list; ManifestError when a line is not a usable pattern (Git itself would
    silently skip it, so a typo would quietly hand files to a later rule or the default)."""
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ManifestError(f"{where}: patterns must be non-empty strings, got {pattern!r}")
    try:
        spec = GitIgnoreSpec.from_lines(patterns, backend="simple")
    except (ValueError, TypeError, re.error) as exc:  # GitIgnorePatternError is a ValueError
        raise ManifestError(f"{where}: invalid pattern in {patterns!r}: {exc}") from None
    for pattern, compiled in zip(patterns, spec.patterns, strict=True):
        if compiled.include is None:
            raise ManifestError(
                f"{where}: {pattern!r} matches nothing (blank, a # comment, or not a valid gitignore pattern)"
            )
    return spec


def _groups(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(g, str) and g.strip() for g in value):
        raise ManifestError(f"{where}: groups must be a non-empty list of group names, got {value!r}")
    return [g.strip() for g in value]


@dataclass(frozen=True)
class AclRule:
    patterns: tuple[str, ...]
    groups: list[str]
    spec: GitIgnoreSpec = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """The rule's ``match`` as written: the pattern, or the list's patterns joined by ", "."""
        return ", ".join(self.patterns)


def _text(pattern: object) -> object:
    """YAML reads ``match: 2025`` as a number: the pattern is its text."""
    return str(pattern) if isinstance(pattern, (int, float)) and not isinstance(pattern, bool) else pattern


def _posix(relpath: str) -> str:
    return relpath.replace("\\", "/").lstrip("/")


@dataclass
class AclManifest:
    rules: list[AclRule] = field(default_factory=list)
    default: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    _ignore_spec: GitIgnoreSpec | None = field(default=None, repr=False, compare=False)

    def ignores(self, relpath: str) -> bool:
        if self._ignore_spec is None:
            self._ignore_spec = compile_patterns(self.ignore, f"{MANIFEST_NAME} ignore")
        return self._ignore_spec.match_file(_posix(relpath))

    def match(self, relpath: str) -> tuple[str, list[str]] | None:
        """The first rule (its ``match`` as written, its groups) matching ``relpath``, else None."""
        relpath = _posix(relpath)
        for rule in self.rules:
            if rule.spec.match_file(relpath):
                return rule.label, rule.groups
        return None

    @classmethod
    def parse(cls, text: str, source: str = MANIFEST_NAME) -> AclManifest:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ManifestError(f"{source}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise ManifestError(f"{source}: expected a mapping with 'rules' and optional 'default'")
        unknown = set(data) - {"rules", "default", "ignore"}
        if unknown:
            raise ManifestError(f"{source}: unknown keys {sorted(unknown)} (expected rules, default, ignore)")
        ignore = data.get("ignore") or []
        if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
            raise ManifestError(f"{source}: ignore must be a list of patterns")
        ignore_spec = compile_patterns(ignore, f"{source} ignore")
        rules = []
        for n, rule in enumerate(data.get("rules") or [], start=1):
            where = f"{source} rule {n}"
            if not isinstance(rule, dict) or "match" not in rule or "groups" not in rule:
                raise ManifestError(f"{source}: rule {n} needs 'match' and 'groups'")
            unknown = set(rule) - {"match", "groups"}
            if unknown:
                raise ManifestError(f"{where}: unknown keys {sorted(unknown)} (expected match, groups)")
            match = rule["match"]
            patterns = [_text(p) for p in match] if isinstance(match, list) else [_text(match)]
            if not patterns:
                raise ManifestError(f"{where}: match must be a pattern or a non-empty list of patterns")
            spec = compile_patterns(patterns, where)
            if all(not p.include for p in spec.patterns):
                raise ManifestError(
                    f"{where}: {match!r} only excludes (!), so it matches nothing; "
                    "put what the rule covers first, e.g. ['docs/', '!docs/public/']"
                )
            rules.append(AclRule(tuple(patterns), _groups(rule["groups"], where), spec))
        default = _groups(data["default"], f"{source} default") if data.get("default") is not None else None
        return cls(rules=rules, default=default, ignore=list(ignore), _ignore_spec=ignore_spec)

    @classmethod
    def load(cls, path: Path) -> AclManifest:
        return cls.parse(path.read_text(encoding="utf-8"), str(path))
