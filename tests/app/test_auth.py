"""app/auth.py: login throttling, question rate limits and session tokens, driven by a fake clock."""

from __future__ import annotations

import pytest

from app.auth import LoginThrottle, LoginThrottled, RateLimiter, SessionTokens, new_token, tokens_equal

pytestmark = pytest.mark.unit


class FakeClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fail(throttle: LoginThrottle, name: str, address: str | None, times: int) -> None:
    for _ in range(times):
        throttle.check(name, address)
        throttle.failed(name, address)


def test_a_name_is_refused_after_n_failures_for_the_cooldown_then_admitted_again() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(3, window_s=600, cooldown_s=120, clock=clock)
    fail(throttle, "ada", "10.0.0.1", 2)
    throttle.check("ada", "10.0.0.1")  # two failures: still admitted
    throttle.failed("ada", "10.0.0.1")
    with pytest.raises(LoginThrottled) as refused:
        throttle.check("ADA ", "10.0.0.9")  # the name, from anywhere, any spelling
    assert str(refused.value) == "Too many failed logins; try again in 120 s"
    assert refused.value.retry_after == 120
    clock.advance(100)
    with pytest.raises(LoginThrottled, match="try again in 20 s"):
        throttle.check("ada", None)
    clock.advance(21)
    throttle.check("ada", None)


def test_an_address_guessing_many_names_is_refused_for_every_name() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(3, window_s=600, cooldown_s=60, clock=clock)
    for name in ("ada", "bob", "carl"):
        fail(throttle, name, "10.0.0.66", 1)
    with pytest.raises(LoginThrottled):
        throttle.check("dora", "10.0.0.66")
    throttle.check("dora", "10.0.0.7")  # another address is not affected


def test_unknown_and_known_names_are_throttled_alike() -> None:
    """The throttle knows no users: the refusal cannot tell whether a name exists."""
    messages = []
    for name in ("ada", "no-such-user"):
        throttle = LoginThrottle(2, window_s=600, cooldown_s=30, clock=FakeClock())
        fail(throttle, name, None, 2)
        with pytest.raises(LoginThrottled) as refused:
            throttle.check(name, None)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]


def test_failures_outside_the_window_do_not_count_and_success_clears_the_name() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(3, window_s=60, cooldown_s=60, clock=clock)
    fail(throttle, "ada", None, 2)
    clock.advance(61)
    fail(throttle, "ada", None, 2)  # the first two are forgotten: 2 in the window
    throttle.check("ada", None)
    throttle.succeeded("ada", None)
    fail(throttle, "ada", None, 2)
    throttle.check("ada", None)


def test_the_rate_limiter_allows_a_burst_then_the_rate_and_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)  # one every 10 s
    assert limiter.take("ada") == 0 and limiter.take("ada") == 0
    assert limiter.take("ada") == pytest.approx(10.0)
    assert limiter.take("bob") == 0  # per key
    clock.advance(5)
    assert limiter.take("ada") == pytest.approx(5.0)
    clock.advance(5)
    assert limiter.take("ada") == 0
    clock.advance(3600)  # refills up to the burst only
    assert [limiter.take("ada") for _ in range(3)][:2] == [0, 0]


def test_a_rate_of_zero_is_no_limit() -> None:
    limiter = RateLimiter(per_minute=0, burst=1, clock=FakeClock())
    assert not limiter.enabled and all(limiter.take("ada") == 0 for _ in range(100))


def test_session_tokens_expire_when_idle_and_at_their_maximum_age() -> None:
    clock = FakeClock()
    tokens = SessionTokens(max_age_s=3600, idle_s=600, clock=clock)
    token, session = tokens.issue("ada")
    assert session.expires == clock.now + 3600
    assert tokens.resolve(token) == "ada"
    clock.advance(601)
    assert tokens.resolve(token) is None  # idle too long, and gone for good
    clock.advance(-601)
    assert tokens.resolve(token) is None

    token, _ = tokens.issue("ada")
    for _ in range(6):  # used every 9 minutes: never idle, but ends after an hour
        clock.advance(540)
        assert tokens.resolve(token) == "ada"
    clock.advance(540)
    assert tokens.resolve(token) is None


def test_session_tokens_can_be_revoked_and_are_random() -> None:
    tokens = SessionTokens(max_age_s=3600, clock=FakeClock())
    a, _ = tokens.issue("ada")
    b, _ = tokens.issue("ada")
    c, _ = tokens.issue("bob")
    assert len({a, b, c}) == 3 and len(a) >= 40
    assert tokens.resolve("not-a-token") is None and tokens.resolve("") is None
    assert tokens.revoke(a) and tokens.resolve(a) is None and tokens.resolve(b) == "ada"
    assert tokens.revoke_user("ada") == 1 and tokens.resolve(b) is None
    assert tokens.resolve(c) == "bob"


def test_tokens_compare_exactly() -> None:
    token = new_token()
    assert tokens_equal(token, token) and not tokens_equal(token, token[:-1])
    assert not tokens_equal("", "") and not tokens_equal(None, token) and not tokens_equal(token, None)
