"""Fault injection for the emulator: every request passes ``Faults.check`` first.

    emulator.faults.add("PUT", r"/v1/tables/bulk", status=503)            # every bulk PUT fails
    emulator.faults.add("GET", r"/v1/system/version", delay=2.0)          # slow, then normal
    emulator.faults.add("*", r"/v1/lineage", drop=True, nth=2)            # 2nd match: connection dropped
    emulator.faults.add("PUT", r"/v1/pipelines/.*/status", status=500, times=3)
    emulator.faults.add("PUT", r"/bulk", status=503, every=3)                  # 3rd, 6th, 9th, ... match
    emulator.faults.add("*", r"/v1/", drop=True, after=20)                      # every match after the 20th
    emulator.faults.add("PATCH", r"/v1/tables/", stop=True, nth=3)             # the server dies right there
    emulator.faults.clear()

``path_regex`` is searched (``re.search``) in the request path without the query
string and with the leading ``/api`` removed (``/v1/...``); the URL-quoted form is used,
as sent. ``method`` is an HTTP method or ``*``. A rule fires on matching requests
number ``nth`` only (1-based), on every ``every``-th match, on every match after the
first ``after``, otherwise on every match; at most ``times`` times.

``stop=True`` makes the emulator die at that request, as a crashed server would: the
request gets no answer, the listening socket is closed (new connections are refused)
and open keep-alive connections are dropped; the state file, if any, is saved. Start a
new ``Emulator`` on the same port and state file to bring "the server" back.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultRule:
    method: str
    pattern: re.Pattern
    status: int | None = None
    body: Any = None
    delay: float = 0.0
    drop: bool = False
    nth: int | None = None
    times: int | None = None
    every: int | None = None
    after: int | None = None
    stop: bool = False
    seen: int = 0
    fired: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method) and bool(self.pattern.search(path))

    def claim(self) -> bool:
        """Count a matching request; True when this one should get the fault."""
        with self._lock:
            self.seen += 1
            if self.nth is not None and self.seen != self.nth:
                return False
            if self.every is not None and self.seen % self.every:
                return False
            if self.after is not None and self.seen <= self.after:
                return False
            if self.times is not None and self.fired >= self.times:
                return False
            self.fired += 1
            return True


@dataclass
class FaultAction:
    delay: float = 0.0
    status: int | None = None
    body: Any = None
    drop: bool = False
    stop: bool = False


class Faults:
    """The registry of fault rules of one emulator."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path_regex: str,
        *,
        status: int | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        nth: int | None = None,
        times: int | None = None,
        every: int | None = None,
        after: int | None = None,
        stop: bool = False,
    ) -> FaultRule:
        rule = FaultRule(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            body=body,
            delay=delay,
            drop=drop,
            nth=nth,
            times=times,
            every=every,
            after=after,
            stop=stop,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def check(self, method: str, path: str) -> FaultAction | None:
        """The fault to apply to this request, if any (first firing rule wins; delays add up)."""
        with self._lock:
            rules = list(self._rules)
        if not rules:
            return None
        action = FaultAction()
        hit = False
        for rule in rules:
            if rule.matches(method, path) and rule.claim():
                hit = True
                action.delay += rule.delay
                if rule.stop:
                    action.stop = action.drop = True
                    break
                if rule.drop:
                    action.drop = True
                    break
                if rule.status is not None:
                    action.status = rule.status
                    action.body = rule.body
                    break
        return action if hit else None
