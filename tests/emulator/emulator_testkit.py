"""Helpers for the emulator tests: an authenticated API wrapper over `requests` and a webhook receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from qbo_connector.emulator import EmulatorServer

TIMEOUT = 10


class Api:
	"""Plain `requests` against one company, with a bearer token; answers are `requests.Response`."""

	def __init__(self, emu: EmulatorServer, realm_id: str | None = None) -> None:
		self.emu = emu
		self.realm_id = realm_id or emu.realm_id
		self.tokens = emu.issue_tokens(self.realm_id)
		self.session = requests.Session()

	@property
	def base(self) -> str:
		return self.emu.company_url(self.realm_id)

	def headers(self, extra: dict | None = None) -> dict:
		out = {"Authorization": f"Bearer {self.tokens['access_token']}", "Accept": "application/json"}
		out.update(extra or {})
		return out

	def get(self, path: str, **params: object) -> requests.Response:
		params.setdefault("minorversion", 75)
		return self.session.get(f"{self.base}/{path}", params=params, headers=self.headers(), timeout=TIMEOUT)

	def post(self, path: str, body: object, **params: object) -> requests.Response:
		params.setdefault("minorversion", 75)
		return self.session.post(
			f"{self.base}/{path}",
			params=params,
			data=json.dumps(body),
			headers=self.headers({"Content-Type": "application/json"}),
			timeout=TIMEOUT,
		)

	def query(self, text: str) -> requests.Response:
		return self.session.post(
			f"{self.base}/query",
			params={"minorversion": 75},
			data=text,
			headers=self.headers({"Content-Type": "application/text"}),
			timeout=TIMEOUT,
		)

	# convenience: assert success and unwrap
	def create(self, entity: str, body: dict, **params: object) -> dict:
		r = self.post(entity.lower(), body, **params)
		assert r.status_code == 200, r.text
		return r.json()[entity]

	def read(self, entity: str, entity_id: str) -> dict:
		r = self.get(f"{entity.lower()}/{entity_id}")
		assert r.status_code == 200, r.text
		return r.json()[entity]

	def rows(self, text: str, entity: str) -> list[dict]:
		r = self.query(text)
		assert r.status_code == 200, r.text
		return r.json()["QueryResponse"].get(entity, [])

	def invoice(self, amount: float = 100, customer: str = "1", **extra: object) -> dict:
		body = {
			"CustomerRef": {"value": customer},
			"Line": [
				{
					"Amount": amount,
					"DetailType": "SalesItemLineDetail",
					"SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount},
				}
			],
		}
		body.update(extra)
		return self.create("Invoice", body)


def fault_code(response: requests.Response) -> str:
	body = response.json()
	if "Fault" in body:
		return body["Fault"]["Error"][0]["code"]
	return body["fault"]["error"][0]["code"]


class Receiver:
	"""A webhook endpoint on loopback that records what it receives and answers `status`."""

	def __init__(self) -> None:
		self.requests: list[dict] = []
		self.status = 200
		self.event = threading.Event()
		receiver = self

		class H(BaseHTTPRequestHandler):
			def do_POST(self) -> None:
				body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
				receiver.requests.append({"body": body, "headers": dict(self.headers)})
				self.send_response(receiver.status)
				self.send_header("Content-Length", "0")
				self.end_headers()
				receiver.event.set()

			def log_message(self, *args: object) -> None:
				pass

		self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
		self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"
		threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

	def close(self) -> None:
		self.httpd.shutdown()
		self.httpd.server_close()
