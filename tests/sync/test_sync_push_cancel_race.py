"""A document cancelled while its push waits for the document lock is not created in QBO: the cancel job
that took the lock first found no link and voided nothing, so the push must look at the document again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sync_support import make_engine

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import MemoryStore

SI = "Sales Invoice"
BASIC = "ACC-SINV-2026-00002"


class CancelWhileWaiting(MemoryStore):
	"""The user cancels the invoice (and its cancel job runs) while the push waits for the lock."""

	def __init__(self, source: MemoryStore, names: list[str]) -> None:
		super().__init__()
		self.__dict__.update({k: v for k, v in source.__dict__.items() if k != "_locks"})
		self._locks = {}
		self.cancel_on_lock = set(names)

	@contextmanager
	def lock(self, key: str) -> Iterator[None]:
		for name in list(self.cancel_on_lock):
			if key.endswith(f":{SI}:{name}"):
				self.cancel_on_lock.discard(name)
				self.update_doc(SI, name, docstatus=2)
		with super().lock(key):
			yield


def test_push_of_a_document_cancelled_while_waiting_is_skipped(
	emu: EmulatorServer, store: MemoryStore
) -> None:
	racing = CancelWhileWaiting(store, [BASIC])
	engine = make_engine(emu, racing)
	result = engine.push(SI, BASIC)
	assert result.status == "Skipped" and "cancelled" in result.message
	assert emu.objects("Invoice") == []
	assert racing.get_link(emu.realm_id, SI, BASIC) is None


def test_bulk_push_of_a_document_cancelled_while_waiting_is_skipped(
	emu: EmulatorServer, store: MemoryStore
) -> None:
	other = "ACC-SINV-2026-00003"
	racing = CancelWhileWaiting(store, [BASIC])  # cancelled after preparation, when the chunk takes its locks
	engine = make_engine(emu, racing)
	summary = engine.push_many(SI, [BASIC, other])
	assert (summary.created, summary.skipped, summary.failed) == (1, 1, 0)
	assert [obj.get("PrivateNote", "").split(";")[0] for obj in emu.objects("Invoice")] == [
		f"ERPNext {SI} {other}"
	]
