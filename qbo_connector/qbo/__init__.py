"""QuickBooks Online API: OAuth2, client, errors, query builder, pacing, webhooks.

Framework-free on purpose: nothing here imports frappe, so the sync engine and the emulator can use it
and it can be tested with plain pytest.
"""
