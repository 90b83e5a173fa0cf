"""A local port that reaches a pod's port through the API server (what `kubectl port-forward`
does), so the hub answers on the presenter's 127.0.0.1 on any cluster, kind or not.

    with Forward(api, namespace, pod, 8000, host="127.0.0.1", port=8000) as fwd:
        ... http://127.0.0.1:8000/ ...
"""
from __future__ import annotations

import select
import socket
import threading

from dockyard.errors import DockyardError


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, or one line saying the port is taken and how to pick another."""
    server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((host, port))
    except OSError as err:
        server.close()
        raise DockyardError(f"cannot open {host}:{port} for the hub: {err.strerror or err}",
                            "pass another --port (or stop what uses that port)") from None
    server.listen(64)
    return server


class Forward:
    def __init__(self, api, namespace: str, pod: str, pod_port: int, host: str = "127.0.0.1", port: int = 0):
        self.api, self.namespace, self.pod, self.pod_port = api, namespace, pod, pod_port
        self.server = listen(host, port)
        self.host, self.port = self.server.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="dockyard-forward", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def __enter__(self) -> "Forward":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._thread.start()
        self._thread.join()

    def stop(self) -> None:
        self._stop.set()
        self.server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:   # closed by stop()
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        """One connection: its own stream to the pod, bytes copied both ways until either side ends."""
        from kubernetes import client
        from kubernetes.stream import portforward
        # A client of its own: the stream API swaps its client's transport while it connects, and
        # a request from another thread on the same client would go out as a websocket.
        core = client.CoreV1Api(client.ApiClient(self.api.configuration))
        try:
            pf = portforward(core.connect_get_namespaced_pod_portforward, self.pod, self.namespace,
                             ports=str(self.pod_port))
            remote = pf.socket(self.pod_port)
        except Exception:
            conn.close()
            return
        remote.setblocking(True)
        try:
            pairs = {conn: remote, remote: conn}
            while not self._stop.is_set():
                ready, _, _ = select.select(list(pairs), [], [], 1.0)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    pairs[source].sendall(data)
        except OSError:
            return
        finally:
            conn.close()
            remote.close()
            pf.close()
