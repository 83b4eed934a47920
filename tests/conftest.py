"""Shared by every test tier under tests/.

The browser tier (tests/browser: Playwright driving Chromium against a running site) is left out of the
default run, the README's `python3 -m pytest`, which needs neither a site nor a browser. `.ci/browser-tier`
runs it with QBO_BROWSER_TIER=1 (see tests/browser/README.md).
"""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("QBO_BROWSER_TIER") else ["browser/*"]
