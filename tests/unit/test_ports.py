"""Is a host port free for Docker to publish? (loopback sockets only)"""
import socket
import time

from dockyard.host.ports import is_free


def listening_socket(reuse: bool = False) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuse:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_listener_makes_the_port_taken():
    with listening_socket() as sock:
        port = sock.getsockname()[1]
        assert not is_free("127.0.0.1", port)
    assert is_free("127.0.0.1", port)


def test_time_wait_leftovers_of_a_served_port_do_not_count():
    # A server like docker-proxy (SO_REUSEADDR) that closed a connection first leaves TIME_WAIT.
    server = listening_socket(reuse=True)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()
    time.sleep(0.05)
    client.close()
    server.close()
    assert is_free("127.0.0.1", port)
