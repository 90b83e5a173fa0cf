"""`dockyard classroom …`: the presenter's commands."""
from __future__ import annotations

import argparse
import socket

from dockyard.classroom import room
from dockyard.paths import BUILD

CARDS = BUILD / "classroom" / "cards"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    up = sub.add_parser("up", help="deploy the hub (or update it) on the current cluster")
    up.add_argument("--learners", type=int, required=True, help="how many learners (1 to 500)")
    up.add_argument("--password", help="the room's shared password (default: kept, or a new random one)")
    op = sub.add_parser("open", help="the hub on this machine's port, and the login cards for that address "
                                     "(Ctrl-C stops it)")
    op.add_argument("--host", default="127.0.0.1",
                    help="address to listen on; 0.0.0.0 lets the room's laptops reach it")
    op.add_argument("--port", type=int, default=8000)
    ca = sub.add_parser("cards", help="login cards (PNG per learner, a PDF for printing) for a hub address")
    ca.add_argument("--url", required=True)
    sub.add_parser("status", help="the hub, each learner's server and its memory")
    sub.add_parser("down", help="remove the hub and every learner's namespace, server and workspace")


def lan_address() -> str:
    """The address other machines reach this one at (the route's source address: no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))     # TEST-NET-1: only asks the routing table
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def write_cards(url: str) -> dict:
    from kubernetes import client
    from dockyard import kube
    from dockyard.classroom.cards import cards_for, room_card, write_cards as write
    from dockyard.classroom.lifecycle import ROOM, passwords
    core = client.CoreV1Api(kube.api_client(probe=True))
    room_pw, _ = passwords(core, ROOM, None)
    apps = client.AppsV1Api(core.api_client)
    env = {e.name: e.value for e in apps.read_namespaced_deployment("hub", ROOM).spec.template.spec.containers[0].env}
    names = room.learner_names(env.get(room.LEARNERS_ENV) or "")
    made = write(cards_for(url, names, room_pw) + [room_card(url, room_pw)], CARDS)
    return made


def run(args) -> int:
    from dockyard import kube
    from dockyard.classroom import lifecycle
    if args.action == "up":
        made = lifecycle.up(args.learners, args.password)
        print(f"✓ classroom up in namespace {made['namespace']}: {len(made['learners'])} learners "
              f"({made['learners'][0]} … {made['learners'][-1]}), hub ready in {made['hub_seconds']:.0f}s")
        print(f"  room password: {made['room_password']}   presenter (user {room.PRESENTER}): "
              f"{made['presenter_password']}")
        print("  next: `dockyard classroom open` (this machine) or `--host 0.0.0.0` (the room's laptops)")
        return 0
    if args.action == "down":
        removed = lifecycle.down()
        print(f"✓ classroom removed ({len(removed)} objects)" if removed else "no classroom here: nothing to remove")
        return 0
    if args.action == "status":
        from dockyard.classroom.status import show
        return show(kube.api_client(probe=True))
    if args.action == "cards":
        made = write_cards(args.url)
        print(f"✓ {len(made['pngs'])} cards in {CARDS}; for printing: {made['pdf']} ({made['pages']} pages)")
        return 0
    if args.action == "open":
        return open_hub(args.host, args.port)
    return 2


def open_hub(host: str, port: int) -> int:
    from kubernetes import client
    from dockyard import kube
    from dockyard.classroom.forward import Forward
    from dockyard.classroom.lifecycle import ROOM
    api = kube.api_client(probe=True)
    pods = client.CoreV1Api(api).list_namespaced_pod(ROOM, label_selector="app=hub").items
    ready = [p for p in pods if kube.pod_ready(p)]
    if not ready:
        from dockyard.errors import DockyardError
        raise DockyardError(f"no hub is ready in namespace {ROOM}", "start it with `dockyard classroom up`")
    fwd = Forward(api, ROOM, ready[0].metadata.name, 8000, host=host, port=port)
    shown = lan_address() if host == "0.0.0.0" else host
    url = f"http://{shown}:{fwd.port}/"
    made = write_cards(url)
    print(f"✓ the hub on {url} — {len(made['pngs'])} login cards in {CARDS} ({made['pdf'].name} to print)")
    print("  Ctrl-C stops it (the classroom keeps running; `dockyard classroom down` removes it)")
    try:
        fwd.serve_forever()
    except KeyboardInterrupt:
        fwd.stop()
    return 0
