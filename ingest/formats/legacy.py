"""Legacy and OpenDocument office files (.doc, .rtf, .odt, .ppt, .odp, .ods): converted by LibreOffice,
then read as DOCX, PPTX or XLSX."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ingest.elements import Element
from ingest.formats.common import SUBPROCESS_TIMEOUT_S, _Ctx, _Kind, _Outcome
from ingest.formats.office import _partition_docx, _partition_pptx
from ingest.formats.sheet import _partition_xlsx

_LEGACY_NEEDS = {
    "doc": ("docx", "legacy Word .doc", "libreoffice-writer"),
    "rtf": ("docx", "RTF", "libreoffice-writer"),
    "odt": ("docx", "OpenDocument text .odt", "libreoffice-writer"),
    "ppt": ("pptx", "legacy PowerPoint .ppt", "libreoffice-impress"),
    "odp": ("pptx", "OpenDocument presentation .odp", "libreoffice-impress"),
    "ods": ("xlsx", "OpenDocument spreadsheet .ods", "libreoffice-calc"),
}


def _partition_legacy(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    target, label, package = _LEGACY_NEEDS[kind.file_type]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise _Outcome("unsupported", f"{label} needs LibreOffice: apt-get install {package}")
    with tempfile.TemporaryDirectory(prefix="docqa-soffice-") as tmp:
        source = Path(tmp) / f"input.{kind.file_type}"
        shutil.copyfile(path, source)
        cmd = [soffice, "--headless", "--norestore", "--convert-to", target, "--outdir", tmp, str(source)]
        env = dict(os.environ, HOME=tmp)  # a private profile: parallel conversions don't collide
        try:
            subprocess.run(cmd, capture_output=True, timeout=SUBPROCESS_TIMEOUT_S, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise _Outcome("failed", f"LibreOffice conversion of {label} timed out") from exc
        converted = Path(tmp) / f"input.{target}"
        if not converted.exists():
            raise _Outcome("failed", f"LibreOffice could not convert this {label}")
        handler = {"docx": _partition_docx, "pptx": _partition_pptx, "xlsx": _partition_xlsx}[target]
        return handler(converted, _Kind(target, target), ctx)
