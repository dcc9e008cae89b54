"""app/embeddings.py: the int8 ONNX encoder agrees with fp32, and vectors of two encoders never mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.embeddings import (
    ENCODER_IDS,
    WINDOW,
    Embedder,
    EncoderMismatchError,
    check_encoder,
    sparse_text,
    stored_encoders,
)
from app.settings import Settings
from app.store import Bm25Encoder
from tests.conftest import write_docs

SENTENCES = [
    "How many days of paid vacation do full-time employees get?",
    "Reset your password at https://id.example.test within 24 hours; MFA is mandatory.",
    "Q3 2025 budget: EUR 1,250,000 for cloud infrastructure (+12% vs. Q2).",
    "Der Mitarbeiter muss die Reisekosten innerhalb von 30 Tagen abrechnen.",
    "def retry(fn, attempts=3):\n    return fn() if attempts else None",
    "ok",
    "Mitochondrial DNA mutations accumulate with age in human muscle tissue, " * 40,  # > 256 pieces
]

DOCS = {
    "vpn": "Connect to the VPN gateway vpn.example.test with a hardware security key.",
    "leave": "Employees get 20 weeks of paid parental leave after six months of service.",
    "budget": "The Q3 budget allocates 1.2 million euros to cloud infrastructure.",
    "lunch": "The canteen on the ground floor serves lunch from 11:30 to 14:00.",
}
QUERIES = {
    "How do I connect to the VPN?": "vpn",
    "How long is parental leave?": "leave",
    "How much money goes to cloud infrastructure?": "budget",
    "When can I eat lunch?": "lunch",
}


@pytest.fixture(scope="module")
def int8(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(backend="int8", cache_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def fp32(embedder: Embedder) -> Embedder:
    """The sentence-transformers reference, whichever backend is the default."""
    return embedder if embedder.backend == "fp32" else Embedder(backend="fp32")


@pytest.mark.unit
def test_a_fiscal_year_written_as_one_word_matches_the_year_in_a_table_header() -> None:
    """BM25 keeps "FY2019" whole: without its year, "FY19 capital expenditure" never meets the
    "| 2019 | 2018 |" header of the cash flow statement."""
    assert sparse_text("What was FY19 and FY2018 capex?") == "What was FY19 2019 and FY2018 2018 capex?"
    assert sparse_text("fiscal 2019, FY'20, FYI, FY123") == "fiscal 2019, FY'20 2020, FYI, FY123"
    bm25 = Bm25Encoder()
    header = bm25.embed_document(sparse_text("| Capital expenditures | 2019 | 2018 |"))
    query = bm25.embed_query(sparse_text("FY19 capital expenditures"))
    plain = bm25.embed_query("FY19 capital expenditures")
    assert len(set(query.indices) & set(header.indices)) > len(set(plain.indices) & set(header.indices))


@pytest.mark.unit
def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="fp32, int8"):
        Embedder(backend="fp16")  # type: ignore[arg-type]


@pytest.mark.unit
def test_settings_choose_the_encoder(tmp_path: Path) -> None:
    e = Embedder.from_settings(Settings(data_dir=tmp_path, embed_backend="int8", embed_batch_size=8))
    assert (e.backend, e.batch_size, e.cache_dir) == ("int8", 8, tmp_path / "models")
    assert e.encoder_id != Embedder(backend="fp32").encoder_id


@pytest.mark.integration
def test_int8_vectors_agree_with_fp32(fp32: Embedder, int8: Embedder) -> None:
    a, b = fp32.embed_documents(SENTENCES), int8.embed_documents(SENTENCES)
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosines = dict(zip(SENTENCES, (a * b).sum(axis=1), strict=True))
    # int8 activations are quantised per batch: a one-word text agrees least (~0.96-0.97 measured).
    assert min(c for s, c in cosines.items() if s != "ok") >= 0.98, cosines
    assert cosines["ok"] >= 0.95, cosines


@pytest.mark.integration
def test_int8_retrieves_the_same_top_document(fp32: Embedder, int8: Embedder) -> None:
    names = list(DOCS)
    for enc in (fp32, int8):
        docs = enc.embed_documents([DOCS[n] for n in names])
        for question, expected in QUERIES.items():
            assert names[int(np.argmax(docs @ enc.embed_query(question)))] == expected, (
                enc.backend,
                question,
            )


@pytest.mark.integration
def test_int8_reads_the_same_word_pieces_as_fp32(fp32: Embedder, int8: Embedder) -> None:
    """Same tokenizer, same 256-piece window: the chunker's token counts hold for both encoders."""
    theirs = fp32.model.tokenizer(SENTENCES, truncation=True, max_length=WINDOW)["input_ids"]
    ours = int8.model.token_ids(SENTENCES)
    assert ours == [list(t) for t in theirs]
    assert max(len(t) for t in ours) == WINDOW
    assert [len(t) - 2 for t in ours[:-1]] == fp32.counter.count_many(SENTENCES[:-1])


@pytest.mark.integration
def test_switching_encoder_reembeds_on_next_ingest_and_mixing_is_refused(
    tmp_path: Path, fp32: Embedder, int8: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import Services

    for key in ("DOCQA_EMBED_BACKEND", "DOCQA_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    corpus = write_docs(tmp_path / "docs", {f"{n}.txt": t for n, t in DOCS.items()})
    settings = Settings(data_dir=tmp_path / "state", ingest_workers=0)

    def ingest(enc: Embedder, set_name: str) -> tuple[list[str], dict[str, int]]:
        svc = Services(settings, embedder=enc)
        try:
            report = svc.ingestor.ingest([corpus], set_name=set_name, groups=["everyone"])
            return [f.status for f in report.files], stored_encoders(svc.store)
        finally:
            svc.close()

    statuses, held = ingest(fp32, "a")
    assert statuses == ["indexed"] * 4 and held == {ENCODER_IDS["fp32"]: 4}
    assert ingest(fp32, "a")[0] == ["unchanged"] * 4

    # Another encoder while set "b" is still fp32: the store mixes, and the check says what to run.
    statuses, held = ingest(int8, "a")
    assert statuses == ["indexed"] * 4  # unchanged files are embedded again with the new encoder
    assert held == {ENCODER_IDS["int8"]: 4}
    ingest(fp32, "b")
    svc = Services(settings, embedder=int8)
    try:
        with pytest.raises(EncoderMismatchError, match=r"4 by fp32.*docqa ingest.*DOCQA_EMBED_BACKEND=fp32"):
            check_encoder(svc.store, int8)
        svc.ingestor.ingest([corpus], set_name="b", groups=["everyone"])
        check_encoder(svc.store, int8)  # every set re-embedded: nothing left to mix
        assert stored_encoders(svc.store) == {ENCODER_IDS["int8"]: 8}
    finally:
        svc.close()
