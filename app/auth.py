"""Engine security, as pure classes with an injected clock (no I/O, no settings reads):

- ``LoginThrottle``: after N failed logins for a name, or from a client address, within a window,
  logins are refused for a cooldown, whether the name exists or not (the message never says).
- ``RateLimiter``: a token bucket per key (the engine's questions per user).
- ``SessionTokens``: the per-user session tokens POST /login hands out; they expire after an
  absolute age and after idling. Only their SHA-256 is kept, in memory (an engine restart logs
  everyone out).
- ``tokens_equal`` / ``new_token``: constant-time comparison and random tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]  # seconds; monotonic or wall, as long as one object uses one clock
MAX_KEYS = 10_000  # a throttle or limiter forgets its oldest keys beyond this (memory bound)


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def tokens_equal(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; False when either is missing or empty."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _wait_s(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class LoginThrottled(Exception):
    """Too many failed logins for this name or from this address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = _wait_s(retry_after)
        super().__init__(f"Too many failed logins; try again in {self.retry_after} s")


class LoginThrottle:
    """Counts failed logins per name and per client address; ``check`` refuses during a cooldown.

    Call ``check(name, address)`` before verifying a password, then ``failed`` or ``succeeded``.
    Names are compared case-insensitively; a success clears only that name's failures (not the
    address's, so one known password does not reset a guessing address)."""

    def __init__(
        self, max_failures: int, window_s: float, cooldown_s: float, *, clock: Clock = time.monotonic
    ) -> None:
        self.max_failures = max(1, int(max_failures))
        self.window_s = float(window_s)
        self.cooldown_s = float(cooldown_s)
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}  # key -> until
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str | None) -> list[str]:
        keys = [f"name:{name.strip().lower()}"]
        return keys + ([f"addr:{address}"] if address else [])

    def check(self, name: str, address: str | None = None) -> None:
        """Raise LoginThrottled while the name or the address is cooling down."""
        now = self.clock()
        with self._lock:
            waits = [self._blocked.get(k, 0.0) - now for k in self._keys(name, address)]
        if max(waits) > 0:
            raise LoginThrottled(max(waits))

    def failed(self, name: str, address: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(name, address):
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and now - times[0] > self.window_s:
                    times.popleft()
                if len(times) >= self.max_failures:
                    self._blocked[key] = now + self.cooldown_s
                    times.clear()
            self._forget(now)

    def succeeded(self, name: str, address: str | None = None) -> None:
        with self._lock:
            key = self._keys(name, None)[0]
            self._failures.pop(key, None)

    def _forget(self, now: float) -> None:
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]
        if len(self._failures) > MAX_KEYS:
            for key in list(self._failures)[: len(self._failures) - MAX_KEYS]:
                del self._failures[key]


class RateLimiter:
    """A token bucket per key: ``burst`` at once, refilled at ``per_minute``; 0 per minute = no limit."""

    def __init__(self, per_minute: float, burst: int, *, clock: Clock = time.monotonic) -> None:
        self.rate = max(0.0, float(per_minute)) / 60.0  # tokens per second
        self.burst = max(1, int(burst))
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_KEYS:  # full buckets carry no information: drop them
                    self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst - 1}
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


@dataclass
class Session:
    user: str
    created: float
    last_used: float
    expires: float  # absolute: created + max age


class SessionTokens:
    """Session tokens for users who logged in through POST /login. A token is valid until
    ``max_age_s`` after it was issued and for ``idle_s`` after its last use (0 = no idle expiry)."""

    def __init__(self, max_age_s: float, idle_s: float = 0.0, *, clock: Clock = time.time) -> None:
        self.max_age_s = float(max_age_s)
        self.idle_s = float(idle_s)
        self.clock = clock
        self._sessions: dict[str, Session] = {}  # sha256(token) -> session
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def issue(self, user: str) -> tuple[str, Session]:
        token, now = new_token(), self.clock()
        session = Session(user, now, now, now + self.max_age_s)
        with self._lock:
            self._expire(now)
            self._sessions[self._key(token)] = session
        return token, session

    def _valid(self, session: Session, now: float) -> bool:
        idle_ok = self.idle_s <= 0 or now - session.last_used <= self.idle_s
        return now < session.expires and idle_ok

    def resolve(self, token: str) -> str | None:
        """The token's user (and its idle clock reset), or None: unknown, expired or revoked."""
        if not token:
            return None
        key, now = self._key(token), self.clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if not self._valid(session, now):
                del self._sessions[key]
                return None
            session.last_used = now
            return session.user

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._sessions.pop(self._key(token), None) is not None

    def revoke_user(self, user: str) -> int:
        """End every session of ``user`` (password changed, user removed); returns how many."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.user == user]
            for k in keys:
                del self._sessions[k]
            return len(keys)

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if not self._valid(s, now)]:
            del self._sessions[key]
