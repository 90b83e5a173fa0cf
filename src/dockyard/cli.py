"""The `dockyard` command. Each subcommand is a thin call into the package."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dockyard import versions

from dockyard.cluster import ways
from dockyard.errors import DockyardError
from dockyard.timings import timed, timings_file, summary


def cmd_doctor(args) -> int:
    from dockyard.ops.doctor import format_checks, healthy, run_checks
    checks = run_checks(cluster=not args.no_cluster)
    print("\n".join(format_checks(checks)))
    return 0 if healthy(checks) else 1


def cmd_engine(args) -> int:
    if getattr(args, "action", "up") == "down":
        from dockyard.engine.provision import engine_down
        steps = engine_down(restore=args.restore)
        print("✓ engine down" + (f" ({', '.join(steps)})" if steps else ": nothing of dockyard's to stop"))
        return 0
    if getattr(args, "restore", False):
        raise DockyardError("--restore goes with `engine down`", "run `dockyard engine down --restore`")
    from dockyard.engine.provision import engine_up
    with timed("prepare", "engine up"):
        steps = engine_up()
    print("✓ engine ready" + ("" if steps == ["nothing"] else f" ({', '.join(steps)})"))
    return 0


def choose_way(client, args, cluster: bool) -> ways.Way:
    """The way this run takes: the one prepare decided, else decided now (and said)."""
    if ways.settled() is not None:
        return ways.settled()
    way = ways.choose(client, getattr(args, "way", None), cluster)
    print(f"✓ way: {way.line()}")
    return way


def cmd_images(args) -> int:
    from dockyard.engine import connect
    from dockyard.images.build import ensure_images
    client = connect()
    online = choose_way(client, args, cluster=False).name == ways.ONLINE
    with timed("prepare", "images"):
        results = ensure_images(client, args.keys or None, force=args.force, online=online)
    pulled = sum(v == "pulled" for v in results.values())
    print(f"✓ images ready: {sum(v == 'built' for v in results.values())} built, "
          + (f"{pulled} pulled, " if pulled else "") + f"{sum(v == 'kept' for v in results.values())} kept")
    return 0


def cmd_cluster(args) -> int:
    from dockyard.cluster import kind
    if args.action == "up":
        way = None
        if not kind.external_context():  # another cluster needs no node image
            from dockyard.engine import connect
            way = choose_way(connect(), args, cluster=True)
        with timed("prepare", "cluster up"):
            kind.cluster_up(recreate=args.recreate, way=way)
    else:
        kind.cluster_down()
    return 0


def cmd_prepare(args) -> int:
    """Everything `make lab` and `make test` need, each step idempotent."""
    with timed("prepare", "total") as result:
        return _prepare(args, result)


def _prepare(args, result: dict) -> int:
    import time
    started = time.time()
    cmd_engine(args)
    from dockyard.engine import connect
    client = connect()
    way = choose_way(client, args, cluster=not args.no_cluster)  # once, for every step below
    from dockyard.cluster import early_go
    from dockyard.cluster.kind import external_context
    go = early_go.EarlyGo()
    try:
        if way.name == ways.FROM_SOURCE and not args.no_cluster and not external_context() \
                and early_go.needed(client):
            go.start(client)
            result["go builds beside the images"] = True
        args.keys, args.force = [], False
        cmd_images(args)
        if not args.no_cluster:
            go.wait()
            args.action = "up"
            cmd_cluster(args)
    finally:
        go.stop()
    from dockyard.images.build import prune_build_leftovers
    if not args.no_cluster:  # node images of older recipes that no node runs any more (~1.3 GB each)
        from dockyard.cluster import node_image
        for old in node_image.prune_old_nodes(client, keep=node_image.node_image_ref()):
            print(f"✓ removed the older node image {old}")
        from dockyard.cluster.kind import prune_nameless_images
        if not external_context():
            count, size = prune_nameless_images(client)
            if count:
                print(f"✓ removed {count} image(s) no name points to any more from the cluster's nodes "
                      f"({size / 1e6:.0f} MB)")
    freed = prune_build_leftovers(client, since=started)
    if freed:
        print(f"✓ removed build leftovers ({freed / 1e6:.0f} MB)")
    return 0


def cmd_clean(args) -> int:
    from dockyard.engine import connect
    from dockyard.ops.cleanup import clean
    client = connect()
    if args.all:  # before clean: kind's nodes carry our label, and `kind delete` also drops the context
        from dockyard.cluster import kind
        kind.cluster_down()
    removed = clean(client, args.workshop, everything=args.all)
    print(f"✓ clean: removed {len(removed)} object(s)" if removed else "✓ clean: nothing of ours was left")
    return 0


def cmd_bundle(args) -> int:
    if args.action == "serve":
        return serve_bundle(args)
    from dockyard.engine import connect
    client = connect()
    client.api.timeout = max(client.api.timeout or 0, 900)   # the engine answers a load at its end
    if args.action == "save":
        from dockyard.bundle.save import save
        from dockyard.display import table
        with timed("bundle", "save") as result:
            manifest = save(client, Path(args.file))
            result["bytes"] = Path(args.file).stat().st_size
        print(table([{"part": p.name, "MB": f"{p.size / 1e6:.0f}", "before gzip (MB)": f"{p.raw_size / 1e6:.0f}",
                      "sha256": p.sha256[:12] + "…"} for p in manifest.parts]))
        print(f"✓ bundle saved: {args.file} ({result['bytes'] / 1e6:.0f} MB); "
              f"carry it to the room, then `dockyard bundle load {Path(args.file).name}`")
        return 0
    from dockyard.bundle.load import load
    with timed("bundle", "load"):
        manifest, result = load(client, args.file)
    kind = f"kind at {result['kind']}" if result["kind"].startswith("/") else result["kind"]
    print(f"✓ bundle loaded: {len(manifest.images)} images, {kind}; next: `dockyard prepare`")
    return 0


def serve_bundle(args) -> int:
    import signal
    import time
    from dockyard.bundle.serve import BundleServer
    from dockyard.lessons.room import url_card
    def stop(signum, frame):   # a closed terminal or `kill`: stop as Ctrl-C does
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    with BundleServer(Path(args.file), args.host, args.port) as server:
        print(url_card(server.urls(), note="on every learner's machine: dockyard bundle load URL"), flush=True)
        shown = 0
        try:
            while True:
                time.sleep(1)
                for address in server.served[shown:]:
                    print(f"✓ sent the bundle to {address}", flush=True)
                shown = len(server.served)
        except KeyboardInterrupt:
            print(f"\n✓ stopped serving ({shown} download(s))")
    return 0


def cmd_lab(args) -> int:
    from dockyard.labs.lab import lab_name, lab_names
    from dockyard.paths import REPO
    labs = lab_names(REPO / "labs")
    if args.action == "list":
        for name, path in labs.items():
            print(f"{name:24} {path.relative_to(REPO)}")
        return 0
    name = lab_name(args.name or "")
    if name not in labs:
        raise DockyardError(f"there is no lab {args.name!r}", f"name one of: {', '.join(labs)}")
    from dockyard.engine import connect
    from dockyard.ops.cleanup import reset_lab
    removed = reset_lab(connect(), name)
    print(f"✓ lab {name} reset: removed {len(removed)} object(s)" if removed
          else f"✓ lab {name}: nothing to reset")
    return 0


def cmd_variant(args) -> int:
    from dockyard.course.variants import write_variant
    from dockyard.paths import REPO
    out = args.out or REPO / "build" / "variants" / args.audience
    written = write_variant(args.audience, [REPO / "notebooks", REPO / "labs"], out)
    print(f"✓ {args.audience} variant: {len(written)} notebooks in {out}")
    return 0


def cmd_course(args) -> int:
    """course.yml: print the agenda, or write it into the notebooks' journey cells and the README."""
    from dockyard.course.manifest import agenda, load, problems, totals, with_agenda
    from dockyard.paths import REPO
    course = load()
    if args.action == "agenda":
        print(totals(course) + "\n\n" + agenda(course))
        return 0
    wrong = problems(course, REPO)
    if wrong:
        raise DockyardError(wrong[0] + (f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""),
                            "make course.yml and the notebooks agree")
    from dockyard.course.journey import apply_all
    readme = REPO / "README.md"
    text = readme.read_text()
    new_text = with_agenda(text, course)   # before any notebook is written: it refuses a README without markers
    changed = apply_all(course, REPO)
    if new_text != text:
        readme.write_text(new_text)
        changed.append(readme.relative_to(REPO))
    print(f"✓ course applied: {len(changed)} file(s) changed" + (f" ({', '.join(map(str, changed))})" if changed
                                                                  else ", all were as course.yml says"))
    return 0


def cmd_jupyter(args) -> int:
    """`make lab` / `make present`: JupyterLab on 00-start-here in the learner's (or the presenter's)
    workspace; refusals are one line."""
    import os
    from dockyard.course.jupyterlab import PASSWORD_ENV, START_NOTEBOOK, exposure_refusal, lab_command, write_quiet_settings
    from dockyard.course.workspace import presenter_dir, seed, workspace_dir
    from dockyard.host.ports import require_free
    password = os.environ.get(PASSWORD_ENV) or None
    refusal = exposure_refusal(args.host, password)
    if refusal:
        raise DockyardError(*refusal)
    require_free(args.host, args.port)
    audience = "presenter" if args.presenter else "learner"
    root = presenter_dir() if args.presenter else workspace_dir()
    copied, kept = seed(root, audience=audience)
    print(f"✓ workspace {root}: {len(copied)} notebook(s) copied from the kit"
          + (f", {len(kept)} of yours kept as they are" if kept else ""))
    write_quiet_settings()
    command = lab_command(args.host, args.port, root=root, open_path=START_NOTEBOOK, password=password)
    print(f"JupyterLab on http://{args.host}:{args.port}/" + (" (password set)" if password else "")
          + " — Ctrl-C stops it" + ("; a notebook as slides: Alt+R" if args.presenter else ""))
    os.execv(command[0], command)


def cmd_site(args) -> int:
    """`make site`: the executed notebooks and labs as a static site (nothing runs again)."""
    from dockyard.course.site import build, shown
    with timed("site", "build"):
        site = build(args.out, args.executed)
    missing = f"; not run yet, so left out: {', '.join(p.stem for p in site['missing'])}" if site["missing"] else ""
    print(f"✓ site: {len(site['pages'])} pages in {site['seconds']:.0f}s, {site['bytes'] / 1e6:.1f} MB{missing}; "
          f"open {shown(site['index'])}")
    return 0


def cmd_browser(args) -> int:
    from dockyard.course.browser import ensure_chromium
    with timed("prepare", "browser"):
        path = ensure_chromium()
    print(f"✓ browser ready: {path}")
    return 0


def cmd_classroom(args) -> int:
    """A JupyterHub for a room on the current cluster (classroom/)."""
    from dockyard.classroom import cli as classroom_cli
    return classroom_cli.run(args)


def cmd_timings(args) -> int:
    path = timings_file()
    if not path.exists():
        print(f"no timings yet ({path})")
        return 0
    data = json.loads(path.read_text())
    rows = summary(data)
    if not rows:
        print(f"no timings yet ({path})")
        return 0
    width = max(len(name) for _, name, _ in rows)
    section = None
    for sec, name, seconds in rows:
        if sec != section:
            print(f"\n{sec}")
            section = sec
        print(f"  {name.ljust(width)}  {seconds:8.1f}s")
    from dockyard.course.cell_times import cell_table
    cells = cell_table(data)
    if cells:
        print("\n" + "\n".join(cells))
    return 0


def add_way_flags(p: argparse.ArgumentParser) -> None:
    """--online / --from-source force a way (ways.py); without either the machine decides."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--online", dest="way", action="store_const", const=ways.ONLINE,
                       help="pull the Debian base and kind's node image, pinned by digest (needs a registry)")
    group.add_argument("--from-source", dest="way", action="store_const", const=ways.FROM_SOURCE,
                       help="make every image here: Debian packages and Go modules (no registry)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockyard", description="Docker and Kubernetes workshop kit")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("doctor", help="check the engine, tools, cluster, disk and memory")
    d.add_argument("--no-cluster", action="store_true")
    d.set_defaults(func=cmd_doctor)
    e = sub.add_parser("engine", help="make sure a Docker engine answers (up), or stop the dockerd dockyard "
                                      "started (down)")
    e.add_argument("action", choices=["up", "down"])
    e.add_argument("--restore", action="store_true",
                   help="with down: put /etc/docker/daemon.json back as it was and remove the capability filter")
    e.set_defaults(func=cmd_engine)
    i = sub.add_parser("images", help="build or pull every image in the catalog")
    i.add_argument("keys", nargs="*")
    i.add_argument("--force", action="store_true")
    add_way_flags(i)
    i.set_defaults(func=cmd_images)
    c = sub.add_parser("cluster", help=f"the kind cluster {versions.CLUSTER_NAME!r}")
    c.add_argument("action", choices=["up", "down"])
    c.add_argument("--recreate", action="store_true",
                   help="up: delete the cluster and make it again from the current node recipe, losing what is in it")
    add_way_flags(c)
    c.set_defaults(func=cmd_cluster)
    pr = sub.add_parser("prepare", help="engine, images and cluster, ready for the workshop")
    pr.add_argument("--no-cluster", action="store_true", help="the Docker topics only")
    pr.add_argument("--recreate", action="store_true", help="recreate the cluster (see `cluster up --recreate`)")
    add_way_flags(pr)
    pr.set_defaults(func=cmd_prepare)
    cl = sub.add_parser("clean", help=f"remove everything labelled {versions.LABEL_KEY}")
    cl.add_argument("--workshop", help="only this workshop's objects")
    cl.add_argument("--all", action="store_true", help="also the catalog images and the cluster")
    cl.set_defaults(func=cmd_clean)
    lb = sub.add_parser("lab", help="the self-paced labs: list them, or reset one")
    lb.add_argument("action", choices=["list", "reset"])
    lb.add_argument("name", nargs="?", help="the lab to reset, e.g. docker-basics")
    lb.set_defaults(func=cmd_lab)
    v = sub.add_parser("variant", help="write the presenter's or the learner's copy of notebooks and labs")
    v.add_argument("audience", choices=["presenter", "learner"])
    v.add_argument("--out", type=Path, help="folder to write into (default build/variants/AUDIENCE)")
    v.set_defaults(func=cmd_variant)
    co = sub.add_parser("course", help="course.yml: print the agenda, or apply it to the notebooks' journey cells "
                                       "and the README")
    co.add_argument("action", choices=["agenda", "apply"])
    co.set_defaults(func=cmd_course)
    j = sub.add_parser("jupyter", help="start JupyterLab on notebooks/00-start-here.ipynb")
    j.add_argument("--host", default="127.0.0.1",
                   help="another address serves the Lab to the network; refused unless DOCKYARD_LAB_PASSWORD is set")
    j.add_argument("--port", type=int, default=8888)
    j.add_argument("--presenter", action="store_true",
                   help="the presenter's copies (solutions shown, large output, each notebook also slides) "
                        "in a workspace of their own, beside the learner's")
    j.set_defaults(func=cmd_jupyter)
    b = sub.add_parser("browser", help="make sure chromium is installed (for the JupyterLab browser test)")
    b.set_defaults(func=cmd_browser)
    bu = sub.add_parser("bundle", help="the prepared images and kind in one file, for machines without network")
    bu.add_argument("action", choices=["save", "load", "serve"])
    bu.add_argument("file", help="save, serve: the bundle file; load: the file or the URL `bundle serve` shows")
    bu.add_argument("--host", default="127.0.0.1",
                    help="serve: the address to serve on; 0.0.0.0 serves the room (the bundle holds nothing secret)")
    from dockyard.bundle.serve import DEFAULT_PORT
    bu.add_argument("--port", type=int, default=DEFAULT_PORT, help="serve: the port")
    bu.set_defaults(func=cmd_bundle)
    si = sub.add_parser("site", help="the executed notebooks and labs (build/executed) as a static site in build/site")
    from dockyard.course.site import EXECUTED, SITE
    si.add_argument("--out", type=Path, default=SITE, help="folder to write the site into (default build/site)")
    si.add_argument("--executed", type=Path, default=EXECUTED,
                    help="the executed copies to show (default build/executed, written by the tests)")
    si.set_defaults(func=cmd_site)
    cr = sub.add_parser("classroom", help="a JupyterHub for a room: every learner their own JupyterLab, "
                                         "Docker engine and namespace")
    from dockyard.classroom.cli import add_arguments
    add_arguments(cr)
    cr.set_defaults(func=cmd_classroom)
    t = sub.add_parser("timings", help="print build/timings.json as a table")
    t.set_defaults(func=cmd_timings)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except DockyardError as exc:
        if args.debug:
            raise
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n✗ interrupted — run `dockyard clean` to remove anything half-made", file=sys.stderr)
        return 130
    except Exception as exc:  # anything unforeseen still gets one line; --debug shows the rest
        if args.debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"✗ {type(exc).__name__}: {first} — run again with `dockyard --debug {args.command}` for details",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
