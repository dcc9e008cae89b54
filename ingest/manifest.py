"""acl.yaml: which groups may read which files of a document set. First matching rule wins.

```yaml
default: [everyone]          # optional; files matching no rule. Absent: settings.default_groups
ignore: [README.md, "golden/**"]   # optional; files in the folder that are not documents
rules:
  - match: "docs/hr/salary-*"
    groups: [hr]
  - match: "docs/hr/**"
    groups: [everyone]
```
Globs are matched against paths relative to the manifest's folder: ``*`` and ``?`` stay inside one
path segment, ``**`` spans any number of segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

MANIFEST_NAME = "acl.yaml"


class ManifestError(ValueError):
    pass


@lru_cache(maxsize=512)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    pattern = pattern.strip().lstrip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _groups(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(g, str) and g.strip() for g in value):
        raise ManifestError(f"{where}: groups must be a non-empty list of group names, got {value!r}")
    return [g.strip() for g in value]


@dataclass
class AclManifest:
    rules: list[tuple[str, list[str]]] = field(default_factory=list)
    default: list[str] | None = None
    ignore: list[str] = field(default_factory=list)

    def ignores(self, relpath: str) -> bool:
        relpath = relpath.replace("\\", "/")
        return any(glob_to_regex(p).match(relpath) for p in self.ignore)

    def match(self, relpath: str) -> tuple[str, list[str]] | None:
        """The first rule (pattern, groups) matching ``relpath``, else None."""
        relpath = relpath.replace("\\", "/")
        for pattern, groups in self.rules:
            if glob_to_regex(pattern).match(relpath):
                return pattern, groups
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
            raise ManifestError(f"{source}: ignore must be a list of globs")
        rules = []
        for n, rule in enumerate(data.get("rules") or [], start=1):
            if not isinstance(rule, dict) or "match" not in rule or "groups" not in rule:
                raise ManifestError(f"{source}: rule {n} needs 'match' and 'groups'")
            rules.append((str(rule["match"]), _groups(rule["groups"], f"{source} rule {n}")))
        default = _groups(data["default"], f"{source} default") if data.get("default") is not None else None
        return cls(rules=rules, default=default, ignore=ignore)

    @classmethod
    def load(cls, path: Path) -> AclManifest:
        return cls.parse(path.read_text(encoding="utf-8"), str(path))
