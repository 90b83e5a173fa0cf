"""In a classroom a lab's checks go to the room's board: the whole lab, with this server's token."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from dockyard import versions
from dockyard.labs.lab import Lab, passed


def test_a_check_reports_the_lab_to_the_board(monkeypatch):
    seen = []

    class Board(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Authorization"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Board)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv(versions.PROGRESS_URL_ENV, f"http://127.0.0.1:{server.server_port}/api/progress")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret")
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    lab = Lab("docker-basics", {"web": "Run a web server", "once": "Run a one-off command"})
    lab.check("web", "web runs", passed())
    server.server_close()
    path, auth, report = seen[0]
    assert path == "/api/progress/ada" and auth == "token secret"
    assert report["lab"] == "docker-basics" and report["order"] == ["web", "once"]
    assert report["exercises"]["web"]["status"] == "done"


def test_no_board_no_report_and_a_dead_board_is_said_once(monkeypatch, capsys):
    monkeypatch.setenv(versions.PROGRESS_URL_ENV, "http://127.0.0.1:9/api/progress")   # nothing listens
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret")
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    lab = Lab("docker-basics", {"web": "Run a web server", "once": "Run a one-off command"})
    lab.check("web", "web runs", passed())
    lab.check("once", "once ran", passed())
    out = capsys.readouterr().out
    assert out.count("the room's board did not take this result") == 1
    assert "✓ once ran" in out
