"""Images and OCR with tesseract: frames to grayscale, skew corrected, blank pages skipped,
paragraphs kept by confidence. PDF pages without a text layer come here too (ingest.formats.pdf)."""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import SUBPROCESS_TIMEOUT_S, _Builder, _Ctx, _Kind, _Outcome

# Rasterised pages are capped at this many pixels (a 9000x9000 px scan would take minutes).
MAX_OCR_PIXELS = 9_000_000
# OCR paragraphs whose mean word confidence is below this are noise (charts, photos, other scripts).
MIN_PARAGRAPH_CONFIDENCE = 40.0


def _partition_image(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    from PIL import Image, ImageSequence

    builder = _Builder(unit="page")
    with Image.open(path) as image, tempfile.TemporaryDirectory(prefix="docqa-img-") as tmp:
        frames = 0
        for frames, frame in enumerate(ImageSequence.Iterator(image), 1):
            gray = _to_gray(frame)
            scale = min(1.0, (MAX_OCR_PIXELS / max(1, gray.width * gray.height)) ** 0.5)
            if scale < 1.0:
                gray = gray.resize((int(gray.width * scale), int(gray.height * scale)))
            target = Path(tmp) / f"frame{frames}.png"
            gray.save(target)
            dpi = int((frame.info.get("dpi") or (300, 300))[0] * scale) or 300
            for paragraph in _ocr_image(target, dpi, ctx):
                builder.add(paragraph, "ocr", frames)
    ctx.empty_reason = "OCR found no text in the image"
    return builder.elements, max(1, frames)


def _to_gray(image: Any) -> Any:
    """Grayscale on a white background (transparent pixels would otherwise turn black)."""
    from PIL import Image

    if image.mode in ("P", "PA", "LA", "RGBA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("L")


@functools.cache
def _tesseract_languages() -> frozenset[str]:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in out.stdout.decode("utf-8", "replace").splitlines()[1:])


def _ocr_lang(ctx: _Ctx) -> str:
    installed = _tesseract_languages()
    if not installed:
        raise _Outcome("unsupported", "OCR needs tesseract: apt-get install tesseract-ocr tesseract-ocr-eng")
    wanted = [code for code in ctx.languages if code in installed]
    missing = [code for code in ctx.languages if code not in installed]
    if missing:
        ctx.notes.append(f"OCR language(s) not installed: {', '.join(missing)}")
    return "+".join(wanted or ["eng" if "eng" in installed else sorted(installed)[0]])


def _tesseract_env() -> dict[str, str]:
    return dict(os.environ, OMP_THREAD_LIMIT="1")  # one worker = one core; OpenMP only thrashes


def _ocr_image(image_path: Path, dpi: int, ctx: _Ctx) -> list[str]:
    """OCR one page image into paragraphs: blank pages skipped, skew corrected, quarter turns
    handled by tesseract's orientation detection (page segmentation mode 1). That detection needs
    a few lines of text; a short upside-down text that yields nothing is retried turned 180°."""
    from PIL import Image

    started = time.perf_counter()
    ctx.starting_ocr()
    try:
        with Image.open(image_path) as image:
            gray = image.convert("L")
        low, high = gray.getextrema()
        if high - low < 32:  # blank page: nothing to read
            return []
        ctx.ocr_pages += 1
        lang = _ocr_lang(ctx)
        angle = skew_angle(gray)
        if abs(angle) >= 0.3:
            image_path = image_path.with_name(image_path.stem + "-deskewed.png")
            gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255).save(image_path)
        psm = 1 if "osd" in _tesseract_languages() else 3
        paragraphs, words = _tesseract(image_path, lang, dpi, psm)
        if not paragraphs and words >= 3:
            turned = image_path.with_name(image_path.stem + "-180.png")
            with Image.open(image_path) as image:
                image.rotate(180).save(turned)
            paragraphs, _ = _tesseract(turned, lang, dpi, psm)
        return paragraphs
    finally:
        ctx.ocr_seconds += time.perf_counter() - started


def _join_ocr_words(words: list[tuple[str, str, float]]) -> str:
    """Words of one paragraph; a word hyphenated at a line end is joined ("reve-" + "lations")."""
    text = ""
    previous_line = None
    for line, word, _ in words:
        if (
            previous_line is not None
            and line != previous_line
            and re.search(r"[a-z]-$", text)
            and word[:1].islower()
        ):
            text = text[:-1] + word
        else:
            text = f"{text} {word}" if text else word
        previous_line = line
    return text


def skew_angle(gray: Any, max_angle: float = 8.0) -> float:
    """Degrees (counter-clockwise) that straighten the text lines of a scan, by projection profile.

    The score is the sharpness of the row (or column) ink profile, so it finds the small skew of
    pages turned by 90° too; those quarter turns are left to tesseract.
    """
    import numpy as np
    from PIL import Image

    small = gray.copy()
    small.thumbnail((1000, 1000))
    ink = Image.fromarray(((np.asarray(small) < 128) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)) > 0
        rows = turned.sum(axis=1).astype(float)
        cols = turned.sum(axis=0).astype(float)
        return max(float(np.sum(np.diff(rows) ** 2)), float(np.sum(np.diff(cols) ** 2)))

    coarse = max(np.arange(-max_angle, max_angle + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness)
    return round(float(fine), 2)


def _tesseract(image_path: Path, lang: str, dpi: int, psm: int) -> tuple[list[str], int]:
    """Run tesseract with TSV output: paragraphs (low-confidence ones dropped) and the word count."""
    cmd = ["tesseract", str(image_path), "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi), "tsv"]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=SUBPROCESS_TIMEOUT_S, env=_tesseract_env(), check=False
        )
    except subprocess.TimeoutExpired:
        return [], 0
    tsv = io.StringIO(proc.stdout.decode("utf-8", "replace"))
    reader = csv.DictReader(tsv, delimiter="\t", quoting=csv.QUOTE_NONE)
    paragraphs: dict[tuple[str, str, str], list[tuple[str, str, float]]] = {}
    for row in reader:
        text = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            conf = -1.0
        if row.get("level") == "5" and text and conf >= 0:
            key = (row["page_num"], row["block_num"], row["par_num"])
            paragraphs.setdefault(key, []).append((row["line_num"], text, conf))
    out: list[str] = []
    for words in paragraphs.values():
        mean = sum(conf for _, _, conf in words) / len(words)
        text = _join_ocr_words(words)
        if mean >= MIN_PARAGRAPH_CONFIDENCE and sum(ch.isalnum() for ch in text) >= 2:
            out.append(text)
    return out, sum(len(words) for words in paragraphs.values())
