"""``python -m dateline.server.granian_main``: granian's own command line, with every worker
process accepting from one listening socket.

On Linux, granian 2.8 gives each worker its own listening socket on the same port
(``SO_REUSEPORT``), each with its own queue of connections waiting to be accepted. When a
worker is replaced (``dateline serve`` on SIGHUP), the connections still waiting in the old
worker's queue are reset unless the host has set ``net.ipv4.tcp_migrate_req=1`` — a sysctl
only root can set, which a newsroom cannot be expected to know about. In the server
comparison that lost 4 requests in about one reload of four under load.

With one socket made by the main process and inherited by every worker (granian's own way on
other systems and for Unix sockets), there is one queue, owned by the main process: a worker
that stops leaves the connections waiting for the others. The price is measured in
docs/performance.md. The override touches one method of granian's server, which is why the
version is pinned in requirements.lock and ``tests/server/test_graceful_serving.py`` reloads
under load.
"""

from __future__ import annotations

from typing import Any

from granian.cli import entrypoint
from granian.net import SocketSpec, UnixSocketSpec
from granian.server.common import AbstractServer


def _one_listening_socket(self: Any) -> None:
    spec: Any
    if self.bind_uds:
        spec = UnixSocketSpec(str(self.bind_uds), self.backlog, self.uds_permissions)
    else:
        spec = SocketSpec(self.bind_addr, self.bind_port, self.backlog)
    self._shd = spec.build()
    self._sfd = self._shd.get_fd()
    self._ssp = None


AbstractServer._init_shared_socket = _one_listening_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    entrypoint()
