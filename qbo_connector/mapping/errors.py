"""The one error mapping raises: it names the ERPNext document and field so an accountant can fix it."""

from __future__ import annotations


class MappingError(Exception):
	"""Bad or unsupported ERPNext data; retrying will not help until someone edits the document or settings.

	`field` uses ERPNext's field names and 1-based row numbers as the desk shows them ("items[2].item_code"),
	so the message points at the exact cell to correct.
	"""

	def __init__(self, doctype: str, name: str | None, field: str | None, message: str) -> None:
		self.doctype = doctype
		self.name = name or ""
		self.field = field
		self.message = message
		super().__init__(str(self))

	def __str__(self) -> str:
		where = f"{self.doctype} {self.name}".strip()
		if self.field:
			return f"{where}, field '{self.field}': {self.message}"
		return f"{where}: {self.message}"

	def __reduce__(self):  # keep pickling (background jobs) working with the 4-argument constructor
		return (type(self), (self.doctype, self.name, self.field, self.message))
