"""Fault injection for tests: a queue of rules matched against API requests (method, path substring, entity).

Kinds:
  status        answer `status` (500/502/503/...) with a `body` of json | xml | html | empty; `when` = "before"
                (nothing is written, the default) or "after" (the write commits, then the error is sent)
  delay         sleep `delay` real seconds, then handle the request normally (to exceed client timeouts)
  drop          handle the request (a write commits), then close the socket without answering
  expire_token  expire the request's access token now, so it fails with 401
  throttle      answer 429 ThrottleExceeded (JSON, or XML with body="xml")
Each rule applies to `count` matching requests, then is removed.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = ("status", "delay", "drop", "expire_token", "throttle")


@dataclass
class FaultRule:
	kind: str
	status: int = 500
	body: str = "json"
	delay: float = 0.0
	when: str = "before"
	method: str | None = None
	path: str | None = None
	entity: str | None = None
	count: int = 1
	id: int = 0

	def matches(self, method: str, path: str, entity: str | None) -> bool:
		if self.method and self.method.upper() != method.upper():
			return False
		if self.path and self.path not in path:
			return False
		if self.entity and (entity or "").lower() != self.entity.lower():
			return False
		return True


class FaultQueue:
	def __init__(self) -> None:
		self._rules: list[FaultRule] = []
		self._lock = threading.Lock()
		self._next = 0
		self.fired: list[dict] = []

	def add(self, **spec: object) -> FaultRule:
		"""Queue a rule; raises ValueError on an unknown kind or option."""
		kind = str(spec.get("kind") or "")
		if kind not in KINDS:
			raise ValueError(f"fault kind must be one of {KINDS}")
		allowed = set(FaultRule.__dataclass_fields__) - {"id"}
		unknown = set(spec) - allowed
		if unknown:
			raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
		rule = FaultRule(**spec)  # type: ignore[arg-type]
		if rule.body not in ("json", "xml", "html", "empty"):
			raise ValueError("body must be json, xml, html or empty")
		if rule.when not in ("before", "after"):
			raise ValueError("when must be before or after")
		rule.count = max(1, int(rule.count))
		with self._lock:
			self._next += 1
			rule.id = self._next
			self._rules.append(rule)
		return rule

	def take(self, method: str, path: str, entity: str | None) -> FaultRule | None:
		"""The first rule matching this request (its count is used up by one), or None."""
		with self._lock:
			for rule in self._rules:
				if rule.matches(method, path, entity):
					rule.count -= 1
					if rule.count <= 0:
						self._rules.remove(rule)
					self.fired.append({"id": rule.id, "kind": rule.kind, "method": method, "path": path})
					return rule
		return None

	def pending(self) -> list[dict]:
		with self._lock:
			return [asdict(r) for r in self._rules]

	def clear(self) -> None:
		with self._lock:
			self._rules.clear()
			self.fired.clear()
