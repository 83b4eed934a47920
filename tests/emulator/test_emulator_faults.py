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
