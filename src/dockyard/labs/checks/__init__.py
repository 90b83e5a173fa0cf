"""What a lab's check cells look at, each answer a Verdict in plain words.

A wrong or missing answer is a falsy Verdict saying what to do next; these never raise for it.
Chain them with `and`: the first thing missing is what the learner is told.

The checks look at behaviour, not only at shape: the page a container serves, what an image built
from the learner's Dockerfile prints, where an image really came from (the engine's pull events),
a pod's container state and restart count, whether a pod is still the one checked before (its uid),
what a Service really forwards to. The functions without a client (`describe_bindings`,
`dockerfile_problem`, `container_trouble`…) are the pure part, unit-tested on their own.

One module per part; every check is re-exported here, so a lab says `check.pod_running(...)`:

  words      words shared by Docker and Kubernetes: exit codes, signals, runtime errors, commands
  docker     containers: running, exited, logs, labels, published ports; pages that answer; files
  images     Dockerfiles and images: what a Dockerfile lacks, what its image prints, how an image was made
  registry   registries: what a registry lists, what a push lacks, pulls seen in the engine's events
  pods       Kubernetes: pods and their containers, Deployments, Services and their endpoints
  data       volumes and bind mounts (lab 6)
  info_exec  info and exec: exit codes, logs, files read with exec, a container's environment (lab 7)
  nodes      nodes: choose one, cordon, drain, uncordon (lab 8)
  rollout    make demo 1 your own: an image of your own, loaded onto the nodes, rolled out under traffic (lab 9)
"""
from __future__ import annotations

# Every public name of each module, and the few private helpers the unit tests call (_split_ref, _step_words,
# _running_for, _labels_text).
from dockyard.labs.checks.data import (container_mounts, container_removed, is_anonymous_volume, mount_problem, mount_words, same_folder,
                   volume_holds, volume_labelled)
from dockyard.labs.checks.docker import (answers, container_exited, container_labelled, container_logs_contain, container_running,
                     container_state_words, describe_bindings, file_contains, has_lab_label, http_get, nothing_answers,
                     publishes)
from dockyard.labs.checks.images import (_split_ref, _step_words, container_from, container_runs_image_cmd, dockerfile_command,
                     dockerfile_prints, dockerfile_problem, exec_form, image_built, image_tagged, new_history_steps,
                     parse_dockerfile)
from dockyard.labs.checks.info_exec import (UNSET, container_env, container_settles, env_of, env_problem, exit_code_problem,
                        exit_code_recorded, file_value_problem, file_value_recorded, logged_path_problem,
                        logged_path_recorded)
from dockyard.labs.checks.nodes import (node_carries_label, node_drained, node_request, node_uncordoned, pod_avoids_node, pod_placed_on,
                    pods_on_node, scheduling_problem, selector_words)
from dockyard.labs.checks.pods import (_labels_text, _running_for, api_error_message, container_trouble, deployment_ready, ended_words,
                   pod_kept, pod_labels, pod_logs_contain, pod_out_of_service, pod_phase, pod_running, pod_succeeded,
                   rolled_out, running_and_ready, service_endpoints, service_reaches, service_selects)
from dockyard.labs.checks.registry import is_pull_of, iso_epoch, pulled_from, pulled_since, pushed, registry_lists, registry_tags
from dockyard.labs.checks.rollout import (Traffic, forget_on_nodes, image_id_on_node, image_on_nodes, image_serves, kind_node_containers,
                      node_images, pod_image_ids, ready_for_rollout, resolve_max_unavailable, rolled_out_under_traffic, wait_steady,
                      rollout_problem, running_image_id, traffic_problem, wait_rolled_out)
from dockyard.labs.checks.words import command_advice, exit_words, plural, short_error
