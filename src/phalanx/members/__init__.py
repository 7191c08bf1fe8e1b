"""Members: organisations, users, roles and API keys.

``model.py`` and ``secrets.py`` are PURE; ``service.py`` is the thin storage shell. A
*principal* is an authenticated caller: an API key with its organisation, role and purpose.
"""
