"""Sign-in throttling per user and per client address, with growing delays (pure, time passed in).

Every attempt counts as a failure from the moment it starts (so a hundred concurrent guesses
cannot all slip through before the first one fails); a success takes it back. Past ``free``
failures a key is blocked for ``base_delay`` seconds, doubling with each further failure up to
``max_delay``. Attempts refused while blocked do not count (they cost the engine nothing), so
the owner of the account gets in once the delay has passed. A key quiet for ``forget_after``
seconds starts over.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how the delays grow."""

    free_per_user: int = 5
    free_per_address: int = 50
    base_delay: float = 1.0
    max_delay: float = 300.0
    forget_after: float = 900.0
    max_keys: int = 100_000


@dataclass
class _Key:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failure counts and blocks of usernames and client addresses."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._keys: dict[tuple[str, str], _Key] = {}

    def __len__(self) -> int:
        """How many usernames and addresses are tracked."""
        return len(self._keys)

    def _key(self, kind: str, name: str, now: float) -> _Key:
        key = self._keys.get((kind, name))
        if key is None or (now - key.last > self.policy.forget_after and now >= key.blocked_until):
            if len(self._keys) >= self.policy.max_keys:
                self._forget(now)
            key = self._keys[(kind, name)] = _Key(last=now)
        return key

    def _forget(self, now: float) -> None:
        stale = [
            k
            for k, v in self._keys.items()
            if now - v.last > self.policy.forget_after and now >= v.blocked_until
        ]
        for k in stale:
            del self._keys[k]
        while len(self._keys) >= self.policy.max_keys:  # still full: drop the oldest
            del self._keys[min(self._keys, key=lambda k: self._keys[k].last)]

    def _fail(self, key: _Key, free: int, now: float) -> None:
        key.failures += 1
        key.last = now
        over = key.failures - free
        if over > 0:
            delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** min(over - 1, 30))
            key.blocked_until = max(key.blocked_until, now + delay)

    def attempt(self, username: str, address: str, now: float) -> float:
        """Seconds to wait before this attempt may go on; 0.0 means go on (counted as failed
        until :meth:`succeeded`)."""
        user = self._key("user", username, now)
        addr = self._key("address", address, now)
        wait = max(user.blocked_until, addr.blocked_until) - now
        if wait > 0:
            return wait
        self._fail(user, self.policy.free_per_user, now)
        self._fail(addr, self.policy.free_per_address, now)
        return 0.0

    def withdrawn(self, username: str, address: str, now: float) -> None:
        """The attempt was never checked (the engine was too busy): it does not count."""
        for key in (("user", username), ("address", address)):
            entry = self._keys.get(key)
            if entry is not None:
                entry.failures = max(0, entry.failures - 1)

    def succeeded(self, username: str, address: str, now: float) -> None:
        """The attempt was right: the user starts over, the address gets its attempt back."""
        self._keys.pop(("user", username), None)
        addr = self._keys.get(("address", address))
        if addr is not None:
            addr.failures = max(0, addr.failures - 1)
            addr.last = now
