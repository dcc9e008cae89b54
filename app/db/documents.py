"""Documents, their sets and versions: what ingestion writes and retrieval may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from app.db.base import Repository
from app.models import Document, DocumentSet, DocumentVersion, utcnow


class DocumentRepository(Repository):
    def get_document(self, doc_id: str) -> Document | None:
        with self.session() as s:
            return s.scalar(select(Document).where(Document.doc_id == doc_id))

    def find_document(self, set_name: str, path: str) -> Document | None:
        with self.session() as s:
            return s.scalar(
                select(Document).join(DocumentSet).where(DocumentSet.name == set_name, Document.path == path)
            )

    def list_documents(self, set_name: str | None = None) -> list[Document]:
        with self.session() as s:
            q = select(Document).join(DocumentSet).order_by(DocumentSet.name, Document.path)
            if set_name:
                q = q.where(DocumentSet.name == set_name)
            return list(s.scalars(q))

    def get_documents(self, doc_ids: Sequence[str]) -> list[Document]:
        """The documents among ``doc_ids`` that exist (unknown ids are left out)."""
        if not doc_ids:
            return []
        with self.session() as s:
            return list(s.scalars(select(Document).where(Document.doc_id.in_(sorted(set(doc_ids))))))

    def begin_version(
        self,
        *,
        set_name: str,
        path: str,
        doc_id: str,
        title: str,
        content_hash: str,
        pipeline_sig: str,
        size_bytes: int,
        file_type: str,
    ) -> int:
        """Record a new version in state 'writing' (creating the document on first sight)."""
        with self.session() as s:
            doc_set = s.scalar(select(DocumentSet).where(DocumentSet.name == set_name))
            if doc_set is None:
                doc_set = DocumentSet(name=set_name)
                s.add(doc_set)
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                doc = Document(doc_id=doc_id, set=doc_set, path=path, title=title)
                s.add(doc)
                s.flush()
            last = s.scalar(
                select(func.max(DocumentVersion.version)).where(DocumentVersion.document_id == doc.id)
            )
            version = (last or 0) + 1
            s.add(
                DocumentVersion(
                    document=doc,
                    version=version,
                    state="writing",
                    content_hash=content_hash,
                    pipeline_sig=pipeline_sig,
                    size_bytes=size_bytes,
                    file_type=file_type,
                )
            )
            return version

    def activate_version(
        self,
        doc_id: str,
        version: int,
        *,
        groups: Sequence[str],
        pages: int,
        ocr_pages: int,
        chunks: int,
        original_path: str,
    ) -> list[str]:
        """Switch the document to ``version``; returns the original-file copies no longer needed."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                raise KeyError(doc_id)
            stale: list[str] = []
            for v in doc.versions:
                if v.version == version:
                    v.state, v.activated_at = "active", utcnow()
                    v.pages, v.ocr_pages, v.chunks, v.original_path = pages, ocr_pages, chunks, original_path
                elif v.state != "superseded":
                    v.state = "superseded"
                    if v.original_path and v.original_path != original_path:
                        stale.append(v.original_path)
                    v.original_path = ""
            doc.current_version = version
            doc.groups = self._groups(s, groups)
            doc.updated_at = utcnow()
            self._bump_index(s)
            return stale

    def abandon_version(self, doc_id: str, version: int) -> None:
        """Forget a version whose writing failed; a document left with no version is removed."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return
            for v in list(doc.versions):
                if v.version == version and v.state == "writing":
                    doc.versions.remove(v)
            if doc.current_version is None and not doc.versions:
                s.delete(doc)

    def set_document_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                raise KeyError(doc_id)
            doc.groups = self._groups(s, groups)
            doc.updated_at = utcnow()
            self._bump_index(s)

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove the document and its versions; returns the original-file copies to delete."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return []
            originals = [v.original_path for v in doc.versions if v.original_path]
            s.delete(doc)
            self._bump_index(s)
            return originals

    def settle_versions(self, doc_id: str) -> int:
        """Mark every 'active' version but the current one superseded (a repair); returns how many."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return 0
            stale = [v for v in doc.versions if v.state == "active" and v.version != doc.current_version]
            for v in stale:
                v.state = "superseded"
            return len(stale)

    def mark_for_reindex(self, doc_id: str) -> None:
        """Make the next ingest of the document's file write a new version even if it is unchanged."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is not None:
                for v in doc.versions:
                    if v.version == doc.current_version:
                        v.pipeline_sig = ""
