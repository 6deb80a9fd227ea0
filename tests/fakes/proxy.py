"""A proxy on 127.0.0.1 for tests (stdlib only): HTTP forward proxy, HTTP CONNECT and SOCKS5.

One port speaks all three (a SOCKS5 client's first byte is 5, an HTTP client's a letter).
Every request it carries is recorded as a `Hop`, so a test can assert that the bot's traffic
went through it: forwarded HTTP requests with their method name (the last path segment,
`getMe`, `sendMessage` …), tunnels (CONNECT, SOCKS5) with their target and the Bot API methods
seen in the request lines that crossed them.
"""

from __future__ import annotations

import http.client
import re
import selectors
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_REQUEST_LINE = re.compile(rb"(?:GET|POST) \S*/(\w+) HTTP/1\.[01]\r\n")
_HOP_HEADERS = frozenset({"proxy-connection", "proxy-authorization", "connection", "keep-alive"})


@dataclass(frozen=True)
class Hop:
    """One request or tunnel the proxy carried."""

    kind: str  # "forward", "connect" or "socks5"
    target: str  # host:port
    method: str  # the Bot API method (forward, and the first request line of a tunnel)
    user: str = ""  # SOCKS5 user name, when the client sent one


class FakeProxy:
    """The proxy server; use `running_proxy()` or start()/stop()."""

    def __init__(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        self.hops: list[Hop] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> FakeProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, scheme: str = "http") -> str:
        """The proxy's URL for POLICYBOT_PROXY (`http` or `socks5`)."""
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def methods(self) -> list[str]:
        """The Bot API methods seen so far, in order."""
        with self._lock:
            return [hop.method for hop in self.hops if hop.method]

    def _record(self, hop: Hop) -> None:
        with self._lock:
            self.hops.append(hop)

    def _handle(self, client: socket.socket) -> None:
        try:
            first = client.recv(1, socket.MSG_PEEK)
            if first == b"\x05":
                self._socks5(client)
            elif first:
                self._http(client)
        except (OSError, EOFError, http.client.HTTPException):
            pass  # a client or server that hung up: the test sees what was recorded

    # -- HTTP: forward requests over one kept-alive upstream connection, or CONNECT -----------

    def _http(self, client: socket.socket) -> None:
        upstream: list[http.client.HTTPConnection] = []
        with client.makefile("rb") as rfile:
            try:
                self._forward(client, rfile, upstream)
            finally:
                for connection in upstream:
                    connection.close()

    def _forward(
        self, client: socket.socket, rfile: Any, upstream: list[http.client.HTTPConnection]
    ) -> None:
        while True:
            line = rfile.readline(65537)
            if not line.strip():
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers = http.client.parse_headers(rfile)
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._tunnel(client, target, "connect")
                return
            url = urlsplit(target)
            body = rfile.read(int(headers.get("Content-Length", 0)))
            self._record(Hop("forward", url.netloc, url.path.rsplit("/", 1)[-1]))
            if not upstream:
                upstream.append(http.client.HTTPConnection(url.hostname or "", url.port or 80))
            kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
            path = url.path + (f"?{url.query}" if url.query else "")
            upstream[0].request(method, path, body, kept)
            response = upstream[0].getresponse()
            content = response.read()
            head = [f"HTTP/1.1 {response.status} {response.reason}"]
            head += [
                f"{k}: {v}"
                for k, v in response.getheaders()
                if k.lower() not in _HOP_HEADERS | {"content-length", "transfer-encoding"}
            ]
            head.append(f"Content-Length: {len(content)}")
            client.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + content)

    # -- SOCKS5 (RFC 1928; no authentication or user/password, RFC 1929) ----------------------

    def _socks5(self, client: socket.socket) -> None:
        _, count = _read(client, 2)
        offered = _read(client, count)
        user = ""
        if 2 in offered:
            client.sendall(b"\x05\x02")
            _, ulen = _read(client, 2)
            user = _read(client, ulen).decode()
            (plen,) = _read(client, 1)
            _read(client, plen)
            client.sendall(b"\x01\x00")
        else:
            client.sendall(b"\x05\x00")
        _, command, _, kind = _read(client, 4)
        if kind == 1:
            host = socket.inet_ntoa(_read(client, 4))
        elif kind == 3:
            host = _read(client, _read(client, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _read(client, 16))
        (port,) = struct.unpack("!H", _read(client, 2))
        if command != 1:
            client.sendall(b"\x05\x07\x00\x01" + bytes(6))  # only CONNECT
            return
        client.sendall(b"\x05\x00\x00\x01" + bytes(6))
        self._tunnel(client, f"{host}:{port}", "socks5", user=user)

    def _tunnel(self, client: socket.socket, target: str, kind: str, *, user: str = "") -> None:
        host, _, port = target.rpartition(":")
        with socket.create_connection((host.strip("[]"), int(port)), timeout=30) as upstream:
            self._record(Hop(kind, target, "", user))
            selector = selectors.DefaultSelector()
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while True:
                for key, _ in selector.select(timeout=60):
                    source = key.fileobj
                    assert isinstance(source, socket.socket)
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is client:
                        for name in _REQUEST_LINE.findall(data):
                            self._record(Hop(kind, target, name.decode(), user))
                    key.data.sendall(data)


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


@contextmanager
def running_proxy() -> Iterator[FakeProxy]:
    """A FakeProxy serving for the duration of the block."""
    proxy = FakeProxy().start()
    try:
        yield proxy
    finally:
        proxy.stop()
