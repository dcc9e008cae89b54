"""Conversations: the web UI's chat history. Every method is scoped to the owning user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import Conversation, ConversationTurn, utcnow


class ConversationRepository(Repository):
    def create_conversation(self, user: str, title: str = "") -> Conversation:
        with self.session() as s:
            row = Conversation(user=user, title=title[:200])
            s.add(row)
            s.flush()
            return row

    def list_conversations(self, user: str, limit: int = 50) -> list[Conversation]:
        """``user``'s conversations, most recently used first."""
        with self.session() as s:
            q = select(Conversation).where(Conversation.user == user)
            q = q.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)
            return list(s.scalars(q))

    def get_conversation(self, conversation_id: int, user: str) -> Conversation | None:
        """The conversation if it belongs to ``user`` (None otherwise, as if it did not exist)."""
        with self.session() as s:
            row = s.get(Conversation, conversation_id)
            return row if row is not None and row.user == user else None

    def add_turn(
        self,
        conversation_id: int,
        user: str,
        *,
        question: str,
        answer: Mapping[str, Any],
        query_log_id: int | None,
    ) -> ConversationTurn:
        """Append a turn to ``user``'s conversation (KeyError if it is not theirs)."""
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                raise KeyError(conversation_id)
            row = ConversationTurn(
                conversation_id=conversation_id,
                question=question,
                answer=dict(answer),
                query_log_id=query_log_id,
            )
            s.add(row)
            conv.updated_at = utcnow()
            if not conv.title:
                conv.title = question[:200]
            s.flush()
            return row

    def list_turns(self, conversation_id: int, user: str) -> list[ConversationTurn]:
        """The turns of ``user``'s conversation, oldest first ([] if it is not theirs)."""
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                return []
            q = select(ConversationTurn).where(ConversationTurn.conversation_id == conversation_id)
            return list(s.scalars(q.order_by(ConversationTurn.id)))

    def delete_conversation(self, conversation_id: int, user: str) -> bool:
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                return False
            s.execute(
                ConversationTurn.__table__.delete().where(ConversationTurn.conversation_id == conversation_id)
            )
            s.delete(conv)
            return True
