"""The sync engine: ERPNext documents to QBO exactly once, QBO payments and changes back (no frappe here).

Public surface: SyncEngine (engine.py), the Store protocol and its records (store.py), MemoryStore
(memory.py) and the result types (outcome.py).
"""

from .engine import SyncEngine
from .memory import MemoryStore
from .outcome import BulkSummary, PullResult, SyncError, SyncResult
from .store import CompanyMode, ConnectionConfig, Link, LogEntry, LogOutcome, Store

__all__ = [
	"BulkSummary",
	"CompanyMode",
	"ConnectionConfig",
	"Link",
	"LogEntry",
	"LogOutcome",
	"MemoryStore",
	"PullResult",
	"Store",
	"SyncEngine",
	"SyncError",
	"SyncResult",
]
