"""A bounded watch: list, then watch from that version until a predicate holds."""
from __future__ import annotations

import time

from dockyard.display import waiting
from dockyard.errors import WaitTimedOut


def watch_until(list_call, predicate, *args, timeout: float = 60, what: str = "the change",
                on_event=None, **kwargs):
    """List, then watch, until `predicate({name: object})` is truthy; return that value.

    Bounded by `timeout` (WaitTimedOut after it). `on_event(type, obj)` sees each change, for
    progress lines. No polling: each change arrives from the API server's watch.
    """
    with waiting(what):
        return _watch_until(list_call, predicate, *args, timeout=timeout, what=what, on_event=on_event, **kwargs)


def _watch_until(list_call, predicate, *args, timeout: float, what: str, on_event, **kwargs):
    import urllib3
    from kubernetes import client, watch
    deadline = time.monotonic() + timeout
    while True:
        listing = list_call(*args, _request_timeout=10, **kwargs)
        objects = {o.metadata.name: o for o in listing.items}
        result = predicate(objects)
        if result:
            return result
        rv = listing.metadata.resource_version
        w = watch.Watch()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimedOut(f"waited {timeout:.0f}s for {what}")
                for event in w.stream(list_call, *args, resource_version=rv,
                                      timeout_seconds=max(1, int(left + 0.999)),
                                      _request_timeout=left + 10, **kwargs):
                    obj, kind = event["object"], event["type"]
                    if kind == "BOOKMARK":
                        continue
                    rv = obj.metadata.resource_version
                    if kind == "DELETED":
                        objects.pop(obj.metadata.name, None)
                    else:
                        objects[obj.metadata.name] = obj
                    if on_event is not None:
                        on_event(kind, obj)
                    result = predicate(objects)
                    if result:
                        w.stop()
                        return result
                    if time.monotonic() >= deadline:
                        break
        except client.ApiException as err:
            if err.status != 410:   # our resourceVersion is too old: list again
                raise
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError):
            # the API server cut the watch short (busy, or restarting it): list again
            if time.monotonic() >= deadline:
                raise WaitTimedOut(f"waited {timeout:.0f}s for {what}") from None
        finally:
            w.stop()
