"""The sign-in throttle's rules, on its pure core (time passed in)."""

from __future__ import annotations

from atende.login_throttle import LoginThrottle, ThrottlePolicy


def test_delays_double_up_to_the_maximum() -> None:
    """Past the free failures each failure doubles the delay, never beyond max_delay; an
    attempt refused during a delay does not lengthen it."""
    throttle = LoginThrottle(ThrottlePolicy(free_per_user=2, base_delay=1.0, max_delay=5.0))
    now = 0.0
    for _ in range(3):  # two free failures, the third starts the first delay
        assert throttle.attempt("ana", "10.0.0.1", now) == 0.0
    delays = []
    for _ in range(5):
        wait = throttle.attempt("ana", "10.0.0.1", now)
        assert throttle.attempt("ana", "10.0.0.1", now) == wait  # refused, not counted
        delays.append(wait)
        now += wait
        assert throttle.attempt("ana", "10.0.0.1", now) == 0.0  # goes on, and fails
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert throttle.attempt("bia", "10.0.0.2", now) == 0.0  # other users are not held


def test_success_starts_the_user_over_and_quiet_keys_are_forgotten() -> None:
    """A right password clears the user's failures; a user quiet for forget_after starts over;
    the number of keys kept is bounded."""
    policy = ThrottlePolicy(free_per_user=1, forget_after=60.0, max_keys=10)
    throttle = LoginThrottle(policy)
    assert throttle.attempt("ana", "a", 0.0) == 0.0
    throttle.succeeded("ana", "a", 0.0)
    assert throttle.attempt("ana", "a", 0.0) == 0.0  # the success gave the attempt back
    assert throttle.attempt("ana", "a", 0.0) == 0.0  # second failure: blocked after it
    assert throttle.attempt("ana", "a", 0.5) == 0.5
    assert throttle.attempt("ana", "a", 100.0) == 0.0  # forgotten: free again
    for n in range(50):
        throttle.attempt(f"user{n}", f"addr{n}", 200.0 + n)
    assert len(throttle) <= policy.max_keys


def test_an_attempt_never_checked_does_not_count() -> None:
    """An attempt withdrawn (the password pool was full) gives its failure back."""
    throttle = LoginThrottle(ThrottlePolicy(free_per_user=1))
    assert throttle.attempt("ana", "a", 0.0) == 0.0
    throttle.withdrawn("ana", "a", 0.0)
    assert throttle.attempt("ana", "a", 0.0) == 0.0  # still the first failure: no delay
    assert throttle.attempt("ana", "a", 0.0) == 0.0  # the second starts the delay
    assert throttle.attempt("ana", "a", 0.0) == 1.0
