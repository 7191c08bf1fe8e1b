"""Deployment: channels served to members, signed receipts, compliance (services).

Thin shells around the pure ``phalanx.channels`` package: they read and write the store,
go through the policy for every read of intelligence, and audit what they do. The REST
routers (``api/channels.py``, ``api/deployment.py``) and the CLI (``cli/channels.py``) call
these functions; none of them commits on its own except where a docstring says so.
"""
