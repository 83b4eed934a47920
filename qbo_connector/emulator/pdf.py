"""A small, valid one-page PDF written by hand (no dependency), for GET /invoice/{id}/pdf."""

from __future__ import annotations


def _escape(text: str) -> str:
	text = text.encode("latin-1", "replace").decode("latin-1")
	return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(entity: str, obj: dict, company_name: str) -> bytes:
	"""Title, number, customer, date, lines and total: enough for a user (or a test) to recognise the document."""
	lines = [
		f"{company_name}",
		f"{entity} {obj.get('DocNumber') or obj.get('Id')}",
		f"Customer: {(obj.get('CustomerRef') or {}).get('name', '')}",
		f"Date: {obj.get('TxnDate', '')}",
	]
	for line in obj.get("Line") or []:
		if line.get("DetailType") == "SalesItemLineDetail":
			item = (line.get("SalesItemLineDetail") or {}).get("ItemRef", {}).get("name", "")
			lines.append(f"  {item} {line.get('Description') or ''}  {line.get('Amount')}")
	tax = (obj.get("TxnTaxDetail") or {}).get("TotalTax")
	if tax:
		lines.append(f"Tax: {tax}")
	lines.append(f"Total: {obj.get('TotalAmt')}  {(obj.get('CurrencyRef') or {}).get('value', '')}")
	if obj.get("PrivateNote") == "Voided":
		lines.append("VOID")
	text_ops = ["BT", "/F1 12 Tf", "14 TL", "50 750 Td"]
	for text in lines:
		text_ops.append(f"({_escape(text)}) Tj T*")
	text_ops.append("ET")
	stream = "\n".join(text_ops).encode("latin-1")
	objects = [
		b"<< /Type /Catalog /Pages 2 0 R >>",
		b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		b"/Resources << /Font << /F1 5 0 R >> >> >>",
		b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
		b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	]
	out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets = []
	for number, body in enumerate(objects, start=1):
		offsets.append(len(out))
		out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
	xref = len(out)
	out += f"xref\n0 {len(objects) + 1}\n".encode()
	out += b"0000000000 65535 f \n"
	for offset in offsets:
		out += f"{offset:010d} 00000 n \n".encode()
	out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
	return bytes(out)
