"""kubernetes-client plumbing for the notebooks: context, namespaces, manifests, waits, exec, tables.

The teaching calls (`core.create_namespaced_pod`, `watch.Watch().stream(...)`, `stream(...)`)
stay in the notebooks. What lives here is the part nobody comes to learn: picking the
context with a clear error, a per-run namespace that survives a crashed run, bounded waits
whose timeout says why, and rows for tables instead of dict dumps.

Low: context, watch, exec, manifests. On top: namespaces, pods, node_images, nodes, services,
tables. Notebooks use `from dockyard import kube` and `kube.<name>`: this file re-exports them.
"""
from dockyard.kube.context import api_client, api_client_or_none, is_kind_context, kube_context, kubectl, require_context
from dockyard.kube.exec import ExecResult, exec_in_pod, parse_exec_status
from dockyard.kube.manifests import MANIFESTS, manifest_values, render_manifest, resource_path, save_manifest
from dockyard.kube.namespaces import (delete_namespace, delete_pods, empty_given_namespace, fresh_namespace, given_namespace, namespace_for,
                                      owner_labels, wait_for_default_service_account)
from dockyard.kube.node_images import full_image_ref, node_lists_image, nodes_missing_image, wait_image_on_nodes
from dockyard.kube.nodes import TOUCHED_ANNOTATION, mark_touched, release_nodes, release_orphaned_nodes
from dockyard.kube.pods import (containers_running, last_log_line, pod_events, pod_ready, pod_status, pod_trouble,
                                restarts, wait_for_pod, wait_for_pods, wait_for_rollout)
from dockyard.kube.services import (endpoint_rows, free_node_port, parse_flags, ready_endpoint_pods, selector_matches,
                                    split_selector, wait_ready_endpoints)
from dockyard.kube.tables import age, node_roles, node_rows, pod_rows, quantity_bytes
from dockyard.kube.watch import watch_until
