"""Secret scrubbing for anything that leaves the process: sync logs, error messages, debug logs.

The sync log stores request and response bodies so an admin can see what happened; this module makes sure
no token, client secret, authorization code or password rides along.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

# Compared after lower-casing and dropping "-", "_" and spaces, so "Access-Token", "accessToken" and
# "access_token" all match. Not a suffix rule: QBO's "SyncToken" is an optimistic-lock counter, not a secret.
_SECRET_KEYS = frozenset(
	{
		"accesstoken",
		"refreshtoken",
		"idtoken",
		"token",
		"clientsecret",
		"secret",
		"authorization",
		"proxyauthorization",
		"cookie",
		"setcookie",
		"password",
		"passwd",
		"apikey",
		"verifiertoken",
		"webhookverifiertoken",
		"verifier",
		"intuitsignature",
		"clientassertion",
	}
)
# "code" is the OAuth authorization code in a callback, but also the error code in every QBO Fault
# ("6240"); short all-digit values are Fault codes and stay readable.
_FAULT_CODE = re.compile(r"^\s*\d{1,6}\s*$")

_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*")
# A JWS (header.payload.signature) or a JWE (header.key.iv.ciphertext.tag). Intuit's access tokens are
# JWEs with "dir" key management, so their key part is empty: "eyJlbmMiOi...In0..<iv>.<ciphertext>.<tag>".
_JWT = re.compile(
	r"\beyJ[A-Za-z0-9_\-]+\.(?:[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*|\.[A-Za-z0-9_\-]+)(?:\.[A-Za-z0-9_\-]*)*"
)
_KEY_VALUE = re.compile(
	r"(?i)\b(access_token|refresh_token|id_token|client_secret|code|password|token|verifier_token)"
	r"(['\"]?\s*[=:]\s*['\"]?)([^&\s'\",;]+)"
)


def _norm(key: Any) -> str:
	return re.sub(r"[\s_\-]", "", str(key)).lower()


def is_secret_key(key: Any, value: Any = None) -> bool:
	"""Whether a mapping key names a secret (value is consulted only for the ambiguous "code")."""
	norm = _norm(key)
	if norm in _SECRET_KEYS:
		return True
	if norm == "code":
		return not (isinstance(value, int) or (isinstance(value, str) and _FAULT_CODE.match(value)))
	return norm.endswith(("clientsecret", "password"))


def redact_str(text: str) -> str:
	"""Strip Bearer/Basic credentials, JWTs and key=value secrets found inside free text or a URL."""
	if not text:
		return text
	text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
	text = _JWT.sub(MASK, text)

	def _kv(match: re.Match) -> str:
		if match.group(1).lower() == "code" and _FAULT_CODE.match(match.group(3)):
			return match.group(0)
		return f"{match.group(1)}{match.group(2)}{MASK}"

	return _KEY_VALUE.sub(_kv, text)


def redact(obj: Any) -> Any:
	"""A deep copy of obj with secret-keyed values replaced by "***" and credentials removed from strings."""
	if isinstance(obj, Mapping):
		return {
			k: (MASK if is_secret_key(k, v) and v not in (None, "") else redact(v)) for k, v in obj.items()
		}
	if isinstance(obj, list):
		return [redact(v) for v in obj]
	if isinstance(obj, tuple):
		return tuple(redact(v) for v in obj)
	if isinstance(obj, str):
		return redact_str(obj)
	return copy.deepcopy(obj)


def redact_text(text: str | bytes | None) -> str | None:
	"""Redact a body given as text: JSON is parsed and redacted key by key, anything else is scrubbed."""
	if text is None:
		return None
	if isinstance(text, bytes):
		text = text.decode("utf-8", errors="replace")
	stripped = text.lstrip()
	if stripped[:1] in ("{", "["):
		try:
			return json.dumps(redact(json.loads(text)), ensure_ascii=False)
		except ValueError:
			pass
	return redact_str(text)
