"""The room's board: a JupyterHub service (`python3 -m dockyard.classroom.service`, started by the hub).

POST <prefix>api/progress/<user>   a lab's results, from that learner's own server only (its token
                                   carries custom:dockyard-progress:write!user=<user>)
GET  <prefix>                      the board, for the presenter (custom:dockyard-progress:read)
GET  <prefix>api/board             the same rows as JSON
GET  <prefix>api/scores            {lab: {learner: exercises done}}, for every lab anyone reported
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from tornado import ioloop, web

from dockyard.classroom import room
from dockyard.classroom.progress import ProgressStore, board_rows, scores
from dockyard.errors import DockyardError

STORE_PATH = Path(os.environ.get("DOCKYARD_PROGRESS_STORE", "/srv/hub/progress.json"))
STUCK_AFTER = float(os.environ.get("DOCKYARD_STUCK_AFTER", "600"))


def learners() -> list[str]:
    return room.learner_names(os.environ.get(room.LEARNERS_ENV, ""))


class Progress(HubOAuthenticated, web.RequestHandler):
    """A learner's server reports; its token names the one learner whose progress it may write."""

    @property
    def hub_scopes(self):
        return {f"{room.WRITE_SCOPE}!user={self.path_kwargs['user']}"}

    def check_xsrf_cookie(self):
        pass   # token in the Authorization header only: no cookie, nothing to forge

    @web.authenticated
    def post(self, user: str):
        try:
            body = json.loads(self.request.body or b"{}")
            self.settings["store"].record(user, body)
        except ValueError as err:
            raise web.HTTPError(400, str(err)) from None
        except DockyardError as err:   # kept in memory; the board still shows it
            self.log.warning("%s", err)
        self.set_status(204)


class Board(HubOAuthenticated, web.RequestHandler):
    hub_scopes = {room.READ_SCOPE}

    def rows(self):
        return board_rows(self.settings["store"], learners(), time.time(), STUCK_AFTER)

    def all_scores(self) -> dict:
        store = self.settings["store"]
        labs = sorted({lab for entry in store.snapshot()["users"].values() for lab in entry["labs"]})
        return {lab: scores(store, lab) for lab in labs}

    @web.authenticated
    def get(self, what: str | None = None):
        if what in ("api/board", "api/scores"):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(self.rows() if what == "api/board" else self.all_scores()))
            return
        from dockyard.classroom.progress import board_html
        self.finish(board_html(self.rows(), "The room", datetime.now().strftime("%H:%M:%S")))


def app() -> web.Application:
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/progress/")
    return web.Application([
        (rf"{prefix}oauth_callback", HubOAuthCallbackHandler),
        (rf"{prefix}api/progress/(?P<user>[^/]+)", Progress),
        (rf"{prefix}(?P<what>api/board|api/scores)?", Board),
    ], cookie_secret=os.urandom(32), store=ProgressStore(STORE_PATH))


def main() -> None:
    app().listen(room.PROGRESS_PORT, address="127.0.0.1")
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
