#!/usr/bin/env bash
# Sets up everything DocQA needs on a fresh Debian machine with Python 3.11, idempotently:
# Debian packages (when missing), .venv, pinned dependencies, the project itself.
# A second run skips every finished step (stamp files under .venv/).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv

step() { printf '\n== %s\n' "$*"; }

# 1. Debian packages: OCR (tesseract), PDF rasterising (poppler), file-type sniffing (libmagic).
need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
command -v pdfinfo >/dev/null || need+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || need+=(libmagic1)
if [ ${#need[@]} -gt 0 ]; then
  step "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  step "Debian packages present"
fi

# 2. Virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV"
  "$PY" -m venv "$VENV"
fi
pip_install() {
  # This machine's pip config names local wheel folders that may not exist: hide that noise only.
  "$VENV/bin/python" -m pip --disable-pip-version-check -q install "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}

# 3. Pinned dependencies. torch first: the CPU wheel that lies on local disk (a bare torch pulls CUDA).
lock_hash=$(sha256sum requirements/base.lock | cut -c1-16)
if [ "$(cat "$VENV/.deps-stamp" 2>/dev/null)" != "$lock_hash" ]; then
  step "installing pinned dependencies (first time ~4 min)"
  pip_install torch==2.13.0
  # --no-deps: unstructured-inference declares timm/accelerate (-> torchvision -> CUDA torch).
  pip_install --no-deps -r requirements/base.lock
  echo "$lock_hash" > "$VENV/.deps-stamp"
else
  step "dependencies up to date"
fi

# 4. The project itself (editable, so the checkout is what runs).
proj_hash=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$VENV/.proj-stamp" 2>/dev/null)" != "$proj_hash" ]; then
  step "installing docqa"
  pip_install --no-deps --no-build-isolation -e .
  echo "$proj_hash" > "$VENV/.proj-stamp"
else
  step "docqa installed"
fi
