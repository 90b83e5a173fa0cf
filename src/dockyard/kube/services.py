"""Services: a free NodePort, label selectors, ready endpoints, control-plane flags."""
from __future__ import annotations

import re
import time

from dockyard import versions
from dockyard.errors import DockyardError, WaitTimedOut
from dockyard.kube.watch import watch_until


def free_node_port(core, first: int = versions.NODEPORT_FIRST, last: int = versions.NODEPORT_LAST) -> int:
    """The first NodePort of the kit's mapped range that no service in the cluster uses yet."""
    used = {p.node_port for s in core.list_service_for_all_namespaces(_request_timeout=10).items
            for p in (s.spec.ports or []) if p.node_port}
    for port in range(first, last + 1):
        if port not in used:
            return port
    raise DockyardError(f"every NodePort from {first} to {last} is taken by a service",
                        "delete old workshop namespaces with `dockyard clean`")


_SET_TERM = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def split_selector(selector: str) -> list[str]:
    """Terms of a label selector, splitting on commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    return [t.strip() for t in terms + [current] if t.strip()]


def selector_matches(selector: str, labels: dict) -> bool:
    """Does a label selector (equality- and set-based terms, comma = AND) match these labels?

    The same rules the API server applies; notebooks use it to say what a query *should* return.
    """
    for term in split_selector(selector):
        m = _SET_TERM.match(term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            ok = labels.get(key) in values if op == "in" else labels.get(key) not in values
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            ok = labels.get(key) != value
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            ok = labels.get(key) == value
        elif term.startswith("!"):
            ok = term[1:].strip() not in labels
        else:
            ok = term in labels
        if not ok:
            return False
    return True


def endpoint_rows(slices) -> list[dict]:
    """The endpoints of EndpointSlices as rows: pod, address, ready, node."""
    rows = []
    for s in slices:
        for e in s.endpoints or []:
            ref = e.target_ref.name if e.target_ref else ""
            cond = e.conditions
            rows.append({"pod": ref, "address": ",".join(e.addresses), "ready": bool(cond and cond.ready),
                         "serving": bool(cond and cond.serving), "terminating": bool(cond and cond.terminating),
                         "node": e.node_name or ""})
    return sorted(rows, key=lambda r: r["pod"])


def ready_endpoint_pods(slices) -> set[str]:
    """The pods (their address when an endpoint names no pod) a service's EndpointSlices list as
    ready; each once, also when two slices briefly list the same endpoint."""
    return {r["pod"] or r["address"] for r in endpoint_rows(slices) if r["ready"]}


def wait_ready_endpoints(discovery, namespace: str, service: str, count: int, timeout: float = 60,
                         pods=None, quiet: bool = False) -> list[dict]:
    """Watch the service's EndpointSlices until exactly `count` endpoints are ready (and, with
    `pods`, exactly those pods); return the endpoint rows.

    A pod turns Ready first; the EndpointSlice controller writes it into the service a moment
    later, and only then does the service send it traffic. `discovery` is a DiscoveryV1Api.
    """
    want = set(pods) if pods is not None else None
    if want is not None and len(want) != count:
        raise ValueError(f"count={count} but {len(want)} pods given")
    selector = f"kubernetes.io/service-name={service}"
    start = time.monotonic()
    last = [""]

    def predicate(slices):
        rows = endpoint_rows(slices.values())
        ready = ready_endpoint_pods(slices.values())
        line = f"{len(ready)} ready endpoints of {len(rows)} listed"
        if line != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  service/{service}: {line}")
        last[0] = line
        done = len(ready) == count and (want is None or ready == want)
        return rows if done else None

    try:
        return watch_until(discovery.list_namespaced_endpoint_slice, predicate, namespace, timeout=timeout,
                           what=f"{count} ready endpoints in service {service}", label_selector=selector)
    except WaitTimedOut:
        slices = discovery.list_namespaced_endpoint_slice(namespace, label_selector=selector,
                                                          _request_timeout=10).items
        now = ", ".join(sorted(ready_endpoint_pods(slices))) or "none"
        wanted = f"{count} ready endpoints" + (f" ({', '.join(sorted(want))})" if want else "")
        raise WaitTimedOut(f"service {service}: wanted {wanted} within {timeout:.0f}s; ready now: {now}",
                           f"`kubectl get endpointslices -n {namespace} -l {selector}`, and are its pods Ready?"
                           ) from None

def parse_flags(command: list[str]) -> dict[str, str]:
    """`--name=value` / `--name value` arguments of a control-plane command, as a dict."""
    flags, args = {}, list(command or [])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            if "=" in arg:
                key, value = arg[2:].split("=", 1)
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                key, value = arg[2:], args[i + 1]
                i += 1
            else:
                key, value = arg[2:], "true"
            flags[key] = value
        i += 1
    return flags
