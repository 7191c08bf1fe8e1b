"""The HTTP protocol ``phalanx serve`` runs (imported only there: uvicorn stays out of the app)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with Nagle's algorithm off on every connection.

    Several workers share a listening socket that uvicorn creates with protocol number 0,
    and asyncio sets TCP_NODELAY only on connections accepted from sockets made with
    IPPROTO_TCP. Each reply's last segment then waited for the client's delayed ACK: 44-48 ms
    per request against 2-6 ms (uvloop sets the option on every connection itself).
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn Nagle's algorithm off, then serve the connection as uvicorn does."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
