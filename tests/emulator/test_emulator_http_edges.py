"""HTTP edges of the emulator: clients hanging up, and the web-app deep links the desk opens."""


def test_a_client_hanging_up_leaves_no_traceback_on_stderr(capfd):
	"""The drop fault closes the socket on purpose; the server must not print socketserver tracebacks."""
	import socket as _socket

	from qbo_connector.emulator.server import _HTTPServer

	server = _HTTPServer(("127.0.0.1", 0), object)
	try:
		raise ConnectionResetError("peer went away")
	except ConnectionResetError:
		server.handle_error(_socket.socket(), ("127.0.0.1", 1))
	server.server_close()
	assert "Traceback" not in capfd.readouterr().err


def test_open_in_quickbooks_deep_links_show_the_object():
	"""The app's "Open in QuickBooks" link (Environment.app_link) must land on a page, not a 404."""
	import requests

	from qbo_connector.emulator import EmulatorServer

	with EmulatorServer(port=0) as emu:
		env = emu.environment()
		customer = emu.objects("Customer")[0]
		page = requests.get(env.app_link("Customer", customer["Id"]), timeout=5)
		assert page.status_code == 200 and customer["DisplayName"].replace("'", "&#x27;") in page.text
		assert requests.get(env.app_link("Invoice", "999"), timeout=5).status_code == 404
		assert requests.get(env.app_link("Item", "1"), timeout=5).status_code == 200
