"""A faithful local QuickBooks Online: OAuth, the v3 API, webhooks, throttles and fault injection.

Start it with `python -m qbo_connector.emulator --port 8765`, or in tests::

        with EmulatorServer(port=0, time_scale=0.01) as emu:
            tokens = emu.issue_tokens()
            env = emu.environment()

Standard library only (plus `requests` for sending webhooks); never imports frappe. See README.md here.
"""

from .config import EmulatorConfig
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]
