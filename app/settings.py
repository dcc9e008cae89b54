"""The one settings object. Built once (``Settings()``) and passed in; env prefix ``DOCQA_``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EmbedBackend = Literal["fp32", "int8"]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCQA_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path(".docqa"), description="All local state: database, vector store, caches.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/docqa.db (Postgres in production)."
    )
    qdrant_url: str | None = Field(
        None, description="Qdrant server URL. Unset: the embedded Qdrant Edge store under <data_dir>/qdrant."
    )
    qdrant_api_key: str | None = None
    collection: str = "docqa"

    # Ingestion
    chunk_tokens: int = Field(
        240,
        description="Chunk size in the embedding model's word pieces (MiniLM reads 256 incl. [CLS]/[SEP]).",
    )
    section_title_tokens: int = Field(16, description="Longest section title carried into a chunk.")
    max_file_mb: float = Field(100.0, description="Files larger than this get the status too-large.")
    upload_max_files: int = Field(
        200, description="Files one admin upload (POST /uploads) may hold, zip members included."
    )
    upload_max_mb: float = Field(
        500.0,
        description="Megabytes one admin upload may hold: the files received, and zip members counted "
        "uncompressed (zip bombs); more is refused with 413.",
    )
    file_timeout_s: float = Field(600.0, description="A file whose partitioning takes longer fails.")
    ingest_workers: int = Field(
        2, description="Processes that partition/OCR files while the main one embeds."
    )
    default_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Groups for files no ACL rule matches. Empty: readable by nobody until set-groups.",
    )
    ocr_languages: str = Field("eng", description="tesseract languages, e.g. eng+fra.")
    ocr_dpi: int = 300
    embed_batch_size: int = 32
    embed_backend: EmbedBackend = Field(
        "int8",
        description="Dense encoder of all-MiniLM-L6-v2: int8 (onnxruntime, ~1.6x faster; SciFact nDCG@10 "
        "0.647 vs 0.645) or fp32 (sentence-transformers). Changing it re-embeds each document set on "
        "its next ingest.",
    )
    answer_cache: bool = Field(
        True, description="Serve a checked cached answer to the same or a very similar question."
    )
    answer_cache_ttl_hours: float = Field(
        24.0, gt=0, description="A cached answer is served for at most this long after it was written."
    )

    # Language model
    llm_backend: Literal["local", "openai", "extractive"] = Field(
        "local",
        description="local: llama.cpp + packaged GGUF; openai: an OpenAI-compatible server; extractive.",
    )
    llm_model: str = Field(
        "qwen2.5-coder-1.5b",
        description="Local model: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, or a path to a .gguf file.",
    )
    llm_model_dir: Path | None = Field(None, description="Where GGUFs are joined. Unset: <data_dir>/models.")
    llm_threads: int = Field(2, description="llama.cpp threads (prompt processing and generation).")
    llm_context_tokens: int = Field(4096, description="llama.cpp context window (prompt + answer).")
    llm_max_tokens: int = Field(300, description="Longest generated answer, in tokens.")
    llm_timeout_s: float = Field(90.0, description="One generation attempt taking longer is aborted.")
    judge_timeout_s: float = Field(
        900.0,
        description="`docqa eval run --ragas llm`: one judge call taking longer is aborted (the RAGAS "
        "judge's prompts are long: ~4 min each on two cores with the local model).",
    )
    llm_retries: int = Field(
        2,
        description="Retries after a failed attempt (backoff 0.5 s, 1 s, 2 s, ...); "
        "a timeout before the first token is not retried.",
    )
    llm_cooldown_s: float = Field(
        30.0,
        description="After the language model fails (down, timed out), questions skip it and get the "
        "extractive answer for this many seconds instead of each waiting for the timeout (0 = off).",
    )
    openai_base_url: str | None = Field(
        None, description="OpenAI-compatible API base, e.g. http://host:8000/v1."
    )
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    llm_price_in_per_1k: float = Field(0.0, description="Price per 1,000 prompt tokens (for cost in logs).")
    llm_price_out_per_1k: float = Field(0.0, description="Price per 1,000 generated tokens.")

    # Engine service (`docqa serve`)
    engine_host: str = Field(
        "127.0.0.1",
        description="Interface `docqa serve` binds to. Every request needs a token (see engine_token); "
        "use TLS (a reverse proxy) before binding beyond this machine.",
    )
    engine_port: int = Field(8765, description="Port of `docqa serve`.")
    engine_max_queue: int = Field(
        2,
        description="Questions that may wait for the language model (one answer takes ~7 s on 2 cores); "
        "more are answered at once by quoting the sources (or get 503 + Retry-After, see below).",
    )
    engine_busy_fallback: bool = Field(
        True,
        description="When the language model's queue is full, quote the sources at once (labelled) "
        "instead of answering 503 + Retry-After.",
    )
    engine_url: str | None = Field(
        None,
        description="Use the engine at this URL (e.g. on another host) instead of finding a local one "
        "through <data_dir>/engine.json.",
    )

    # Engine security (app/auth.py)
    engine_token: SecretStr | None = Field(
        None,
        description="Service token of trusted clients (UI server, CLI) acting for users. Unset: "
        "`docqa serve` makes a random one and writes it to <data_dir>/engine.json (mode 0600).",
    )
    session_hours: float = Field(8.0, description="A POST /login session token expires after this long.")
    session_idle_minutes: float = Field(
        60.0, description="A session token unused for longer expires (0 = only session_hours)."
    )
    login_max_failures: int = Field(
        5, description="Failed logins for one name, or from one address, before it is refused."
    )
    login_window_s: float = Field(900.0, description="Failed logins count within this window.")
    login_cooldown_s: float = Field(300.0, description="How long logins are refused after too many failures.")
    questions_per_minute: float = Field(
        20.0, description="Questions one user may ask the engine per minute, sustained (0 = no limit)."
    )
    questions_burst: int = Field(5, description="Questions one user may ask at once before the rate applies.")
    questions_exempt_roles: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Roles not rate-limited (comma-separated); none by default."
    )

    # Production safety (checked when `docqa serve` starts: app/access.py check_start)
    demo_mode: bool = Field(
        False,
        description="The demo: `docqa users seed` creates the demo users, whose passwords are published in "
        "data/users.yaml. Off (production): seeding is refused and the engine refuses to start while any "
        "user's password is a demo password.",
    )
    admin_name: str = Field(
        "admin", description="Name of the first admin `docqa serve` creates when no user has the role admin."
    )
    admin_password: SecretStr | None = Field(
        None, description="Password of that first admin (prefer admin_password_file: env leaks into logs)."
    )
    admin_password_file: Path | None = Field(
        None,
        description="File holding the first admin's password, e.g. a Compose secret "
        "(/run/secrets/docqa_admin_password). Used only while no admin exists.",
    )

    @field_validator("default_groups", "questions_exempt_roles", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'docqa.db').resolve()}"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def llm_models_dir(self) -> Path:
        return self.llm_model_dir or self.data_dir / "models"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
