"""Finding and talking to the engine (`docqa serve`) from the CLI (and later the UI).

``EngineClient`` (HTTP) and ``InProcessEngine`` (services in this process) have the same methods,
so a caller works with either: ask, documents, ingestion jobs, and feedback and escalations
(``feedback``, ``get_feedback``, ``escalate``, ``escalations``, ``escalation``, ``claim``,
``reply``, ``close_escalation``, ``feedback_summary``). Failures raise EngineError with the HTTP
status the engine answers: 400 bad input, 403 not allowed, 404 unknown user/answer/escalation,
409 conflicting escalation state, 503 stores unavailable.

A running engine announces itself in ``<data_dir>/engine.json`` ({url, pid, started, token}, file mode
0600: only the OS user running the engine can read its service token); ``find_engine`` trusts that
file only if the pid is alive and GET /health answers within about a second, so a file left behind
by a killed engine is ignored. ``DOCQA_ENGINE_URL`` names an engine explicitly (e.g. on another
host); then an unreachable engine is an error, not a silent fallback, and the token is
``DOCQA_ENGINE_TOKEN`` (or engine.json's when it announces that same URL).

Every request but /health carries ``Authorization: Bearer <token>``: the service token (the CLI and
the UI server act for the users they name), or a user's session token from ``EngineClient.login``
(then the engine refuses 403 to act as anyone else). The engine audits admin actions without a
user (the CLI's ``docqa docs rm``) as its authenticated principal: "service" for the service token,
the user for a session token; the client's ``actor`` ("cli:<os user>" by default, sent as
X-DocQA-Actor) is kept only as the unverified detail ``claimed_by``. Without an engine
(InProcessEngine) the CLI records "cli:<os user>" itself.
"""

from app.client.discovery import (
    ENGINE_FILE,
    HEALTH_TIMEOUT_S,
    engine_file,
    find_engine,
    read_engine_file,
    remove_engine_file,
    write_engine_file,
)
from app.client.errors import EngineError, EngineUnavailableError
from app.client.http import BACKOFF_S, RETRIES, EngineClient, _filename
from app.client.in_process import InProcessEngine
from app.client.rows import EVAL_NOT_YOURS, EVAL_WITHHELD, document_row, readable_row

__all__ = [
    "BACKOFF_S",
    "ENGINE_FILE",
    "EVAL_NOT_YOURS",
    "EVAL_WITHHELD",
    "HEALTH_TIMEOUT_S",
    "RETRIES",
    "EngineClient",
    "EngineError",
    "EngineUnavailableError",
    "InProcessEngine",
    "_filename",
    "document_row",
    "engine_file",
    "find_engine",
    "read_engine_file",
    "readable_row",
    "remove_engine_file",
    "write_engine_file",
]
