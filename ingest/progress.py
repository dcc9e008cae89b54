"""Where an ingestion run's files are, stage by stage (pure): parse, OCR, chunk, embed, write.

The pipeline reports ``(path, stage)`` as each file moves on (stage "ocr page N" while a scanned
page is read); a file leaves when its report is out. :meth:`InFlight.summary` is the line the CLI
and the admin page show beside the file count, e.g. ``parse 1 · ocr 1 (scan.pdf, page 14) · embed 3``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

STAGES = ("parse", "ocr", "chunk", "embed", "write")


@dataclass
class InFlight:
    stages: dict[str, str] = field(default_factory=dict)  # path -> its latest stage

    def update(self, path: str, stage: str) -> None:
        self.stages[path] = stage

    def done(self, path: str) -> None:
        self.stages.pop(path, None)

    def summary(self) -> str:
        counts = {name: 0 for name in STAGES}
        ocr: tuple[str, str] | None = None
        for path, stage in self.stages.items():
            name, _, detail = stage.partition(" ")
            if name in counts:
                counts[name] += 1
            if name == "ocr":
                ocr = (PurePath(path).name, detail)
        parts = []
        for name, n in counts.items():
            if n:
                detail = f" ({ocr[0]}, {ocr[1]})" if name == "ocr" and ocr and n == 1 else ""
                parts.append(f"{name} {n}{detail}")
        return " · ".join(parts)
