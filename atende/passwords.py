"""Argon2 password work off the event loop, in a small bounded pool of worker threads.

One argon2 check costs about a fifth of a second of CPU; run on the event loop it would stop
AMI, FastAGI and every other request for that long. argon2-cffi releases the GIL while it
hashes, so a few threads do the work while the loop goes on. The queue in front of them is
bounded: past ``max_waiting`` checks in flight, :class:`PasswordPoolBusy` is raised at once
instead of piling up work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

#: ``standard``: argon2-cffi's recommended parameters (RFC 9106, low memory), about a fifth of a
#: second of CPU a hash. ``minimal``: the cheapest parameters, only for test suites that create
#: and sign in hundreds of users (such hashes cost nothing to guess). A check always uses the
#: parameters stored in the hash it checks.
PasswordCost = Literal["standard", "minimal"]
COSTS: dict[str, Parameters] = {
    "standard": profiles.RFC_9106_LOW_MEMORY,
    "minimal": profiles.CHEAPEST,
}
_default_cost: PasswordCost = "standard"


def set_default_cost(cost: PasswordCost) -> None:
    """The cost of pools built without one (a test suite sets ``minimal`` once, at start)."""
    global _default_cost
    _default_cost = cost


class PasswordPoolBusy(Exception):
    """Too many password checks are in flight; the caller should try again shortly."""


class PasswordPool:
    """A bounded pool of threads hashing and checking argon2id passwords."""

    def __init__(
        self, workers: int = 2, max_waiting: int = 32, cost: PasswordCost | None = None
    ) -> None:
        self._hasher = PasswordHasher.from_parameters(COSTS[cost or _default_cost])
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="passwords")
        self._max_waiting = max_waiting
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Checks and hashes submitted and not finished yet."""
        return self._in_flight

    async def _run(self, work: Callable[[], T]) -> T:
        if self._in_flight >= self._max_waiting:
            raise PasswordPoolBusy("too many sign-ins at once")
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        finally:
            self._in_flight -= 1

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches ``password_hash``."""

        def check() -> bool:
            try:
                return bool(self._hasher.verify(password_hash, password))
            except (VerificationError, InvalidHashError):
                return False

        return await self._run(check)

    def close(self) -> None:
        """Stop the worker threads (waits for the checks under way)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
