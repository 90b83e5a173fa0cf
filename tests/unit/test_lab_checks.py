"""The pure part of the lab checks: what they make of ports, Dockerfiles, image histories, engine
states and pod statuses. Kubernetes objects are the client's own model classes, filled in as the
API server fills them."""
from datetime import datetime, timedelta, timezone

from kubernetes import client as k8s

from dockyard.labs import checks as check
# --- words --------------------------------------------------------------------------------------


def test_short_error_keeps_what_a_learner_can_act_on():
    raw = ('failed to create shim task: OCI runtime create failed: runc create failed: unable to start '
           'container process: exec: "sleep 3600": executable file not found in $PATH: unknown')
    assert check.short_error(raw) == 'exec: "sleep 3600": executable file not found in $PATH'
    assert check.short_error("plain") == "plain"
    assert check.short_error(None) == ""
    assert len(check.short_error("x" * 500)) == 200


def test_command_advice_only_for_a_command_written_as_one_string():
    error = 'exec: "echo hello, dockyard": executable file not found in $PATH'
    assert check.command_advice(["echo hello, dockyard"], error) == \
        ' (a command is a list: the program, then each argument, e.g. ["echo", "hello, dockyard"])'
    assert check.command_advice(["echo", "hello, dockyard"], error) == ""      # already a list of words
    assert check.command_advice(["echo hi"], "exit status 1") == ""            # another failure
    assert check.command_advice(None, error) == ""


def test_exit_words_name_the_signal():
    assert check.exit_words(137) == "exit code 137, killed by SIGKILL"
    assert check.exit_words(143) == "exit code 143, killed by SIGTERM"
    assert check.exit_words(1) == "exit code 1"


def test_engine_timestamps_become_epoch_seconds():
    assert check.iso_epoch("1970-01-01T00:01:00Z") == 60
    assert abs(check.iso_epoch("2024-05-01T10:00:00.123456789Z") - 1714557600.123456) < 1e-6


def test_pull_events_name_the_image_one_way_or_another():
    ref = "127.0.0.1:5000/hello:1"
    as_2010 = {"status": "pull", "id": ref, "Actor": {"ID": ref, "Attributes": {"name": "127.0.0.1:5000/hello"}}}
    assert check.is_pull_of(as_2010, ref)
    assert check.is_pull_of({"Action": "pull", "Actor": {"ID": "127.0.0.1:5000/hello@sha256:ab"}}, ref)
    assert not check.is_pull_of({**as_2010, "status": "push", "Action": "push"}, ref)
    assert not check.is_pull_of({"status": "pull", "id": "127.0.0.1:5000/other:1"}, ref)


# --- containers ---------------------------------------------------------------------------------


def test_container_state_words():
    created = {"State": {"Status": "created", "ExitCode": 127,
                         "Error": 'OCI runtime create failed: exec: "echo hi": executable file not found in $PATH'},
               "Path": "echo hi", "Args": []}
    words = check.container_state_words(created)
    assert words.startswith("was created but never started: the engine said exec:")
    assert 'e.g. ["echo", "hi"]' in words
    fresh = {"State": {"Status": "created", "ExitCode": 0, "Error": ""}, "Path": "/bin/serve", "Args": []}
    assert check.container_state_words(fresh) == \
        "was created but never started: start it with .start(), or use containers.run"
    assert check.container_state_words({"State": {"Status": "paused"}}).startswith("is paused")
    assert check.container_state_words({"State": {"Status": "exited", "ExitCode": 137}}) == \
        "has exited (exit code 137, killed by SIGKILL)"


def test_published_ports_say_which_side_is_wrong():
    right = {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    assert check.describe_bindings("web", right, "8080/tcp", "127.0.0.1", 8080) is None
    inside_80 = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}], "8080/tcp": None}
    said = check.describe_bindings("web", inside_80, "8080/tcp", "127.0.0.1", 8080)
    assert "publishes 80/tcp on 127.0.0.1:8080, but the server inside listens on 8080/tcp" in said
    everywhere = {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}]}
    said = check.describe_bindings("web", everywhere, "8080/tcp", "127.0.0.1", 8080)
    assert "on 0.0.0.0:8080, :::8080, not on 127.0.0.1:8080" in said
    assert "publishes no port" in check.describe_bindings("registry", {"5000/tcp": None}, "5000/tcp", "127.0.0.1", 5000)
    assert "publishes no port" in check.describe_bindings("registry", None, "5000/tcp", "127.0.0.1", 5000)


# --- Dockerfiles and images ---------------------------------------------------------------------


def test_parse_dockerfile_reads_it_as_the_engine_does():
    text = ("# a comment\nfrom base:1 AS build\n\nRUN apt-get update \\\n    && apt-get install x\n"
            'CMD ["cat", "/f"]\n')
    assert check.parse_dockerfile(text) == [
        ("FROM", "base:1 AS build"), ("RUN", "apt-get update && apt-get install x"), ("CMD", '["cat", "/f"]')]
    assert check.exec_form('["cat", "/f"]') == ["cat", "/f"]
    assert check.exec_form("cat /f") is None
    assert check.exec_form('["cat", 1]') is None
    assert check.dockerfile_command(check.parse_dockerfile("FROM b\nCMD cat /f\n")) == ["/bin/sh", "-c", "cat /f"]
    assert check.dockerfile_command(check.parse_dockerfile("FROM b\nCMD [\"a\"]\nCMD [\"b\"]\n")) == ["b"]
    assert check.dockerfile_command(check.parse_dockerfile("FROM b\n")) is None


def test_dockerfile_problems_before_any_build():
    base = "dockyard/busybox:1.35"
    good = f'FROM {base}\nCOPY greeting.txt /greeting.txt\nCMD ["cat", "/greeting.txt"]\n'
    assert check.dockerfile_problem(good, base) is None
    assert check.dockerfile_problem(good.lower().replace("dockyard/busybox:1.35", base), base) is None
    assert "no FROM line" in check.dockerfile_problem("COPY a /a\n", base)
    assert "FROM must come first" in check.dockerfile_problem(f"COPY a /a\nFROM {base}\n", base)
    said = check.dockerfile_problem("FROM busybox\nCMD [\"cat\", \"/f\"]\n", base)
    assert said.startswith(f"the Dockerfile starts FROM busybox, not the kit's {base}: write FROM {base}")
    said = check.dockerfile_problem(f"FROM {base}\nCOPY greeting.txt /g\nRUN cat /g\n", base)
    assert said.startswith("the Dockerfile has no CMD") and "`RUN cat /g` runs once, while the image is built" in said


def test_image_refs_split_at_the_tag_not_at_the_registry_port():
    assert check._split_ref("127.0.0.1:5000/hello:1") == ("127.0.0.1:5000/hello", "1")
    assert check._split_ref("127.0.0.1:5000/hello") == ("127.0.0.1:5000/hello", "latest")
    assert check._split_ref("greeter") == ("greeter", "latest")


def test_history_steps_above_the_base_tell_a_build_from_a_commit():
    base = "sha256:base"
    built = [{"Id": "sha256:3", "CreatedBy": "/bin/sh -c #(nop)  LABEL a=b"},
             {"Id": "sha256:2", "CreatedBy": '/bin/sh -c #(nop)  CMD ["cat" "/greeting.txt"]'},
             {"Id": "sha256:1", "CreatedBy": "/bin/sh -c #(nop) COPY file:abc in /greeting.txt "},
             {"Id": base, "CreatedBy": "/bin/sh -c #(nop)  CMD [\"sh\"]"},
             {"Id": "<missing>", "CreatedBy": "COPY busybox"}]
    steps = check.new_history_steps(built, base)
    assert len(steps) == 3 and any(check._step_words(s).startswith("COPY") for s in steps)
    committed = [{"Id": "sha256:9", "CreatedBy": "sleep 300"}, {"Id": base, "CreatedBy": "x"}]
    assert [check._step_words(s) for s in check.new_history_steps(committed, base)] == ["sleep 300"]
    assert check._step_words("COPY greeting.txt /greeting.txt # buildkit") == "COPY greeting.txt /greeting.txt"


# --- pods ---------------------------------------------------------------------------------------


def pod(*statuses, policy="Always", phase="Running", command=None, pull="IfNotPresent"):
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="hello", uid="u1"),
        spec=k8s.V1PodSpec(restart_policy=policy, containers=[
            k8s.V1Container(name="main", image="b:1", command=command, image_pull_policy=pull)]),
        status=k8s.V1PodStatus(phase=phase, container_statuses=list(statuses)))


def status(state, restarts=0, last=None, ready=False):
    return k8s.V1ContainerStatus(name="main", image="b:1", image_id="", ready=ready, restart_count=restarts,
                                 state=state, last_state=last or k8s.V1ContainerState())


def running(seconds_ago=10):
    started = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    return k8s.V1ContainerState(running=k8s.V1ContainerStateRunning(started_at=started))


def ended(code=0, reason="Completed", message=None):
    return k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
        exit_code=code, reason=reason, message=message))


def waiting(reason, message=""):
    return k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason=reason, message=message))


def test_a_running_pod_is_no_trouble():
    good = pod(status(running(), ready=True))
    assert check.container_trouble(good) is None
    assert check.running_and_ready(good)
    assert 9 < check._running_for(good) < 30


def test_a_container_that_ends_and_is_restarted_keeps_crashing():
    looping = pod(status(waiting("CrashLoopBackOff", "back-off 10s"), restarts=2, last=ended()))
    said = check.container_trouble(looping)
    assert said.startswith("keeps crashing: its container `main` ended (exit code 0")
    assert "restart policy Always, 2 restarts so far" in said and "a command that does not end" in said
    assert not check.running_and_ready(looping)
    first_end = pod(status(ended()))                      # before the first restart
    assert check.container_trouble(first_end).startswith("keeps crashing")
    assert check.container_trouble(pod(status(ended()), policy="Never", phase="Succeeded"),
                                   ending_is_fine=True) is None


def test_a_command_that_cannot_start_gets_advice():
    message = 'failed to create task: exec: "sleep 3600": executable file not found in $PATH: unknown'
    said = check.container_trouble(pod(status(waiting("RunContainerError", message)), command=["sleep 3600"]))
    assert said.startswith('cannot run: its container `main` is RunContainerError: exec: "sleep 3600"')
    assert said.endswith('e.g. ["sleep", "3600"])')
    later = pod(status(waiting("CrashLoopBackOff"), restarts=1,
                       last=ended(128, "StartError", message)), command=["sleep 3600"])
    assert 'could not start: exec: "sleep 3600"' in check.container_trouble(later)


def test_an_image_that_cannot_be_pulled_says_why():
    said = check.container_trouble(pod(status(waiting("ErrImagePull", "failed to resolve")), pull="Always"))
    assert said.startswith("cannot get its image b:1 (ErrImagePull): image_pull_policy='Always'")
    said = check.container_trouble(pod(status(waiting("ImagePullBackOff", "not found " * 40))))
    assert said.startswith("cannot get its image b:1 (ImagePullBackOff: not found") and len(said) < 230


def test_ended_words():
    assert check.ended_words(None) == "ended"
    assert check.ended_words(ended().terminated) == "ended (exit code 0: its command finished)"
    assert check.ended_words(ended(2, "Error").terminated) == "failed (exit code 2)"
    assert check.ended_words(ended(137, "OOMKilled").terminated) == "failed (exit code 137, killed by SIGKILL, OOMKilled)"


def test_labels_are_shown_without_the_replicaset_hash():
    assert check._labels_text({"run": "web", "pod-template-hash": "abc"}) == "run=web"
    assert check._labels_text({}) == "no labels"


def test_rolled_out_as_kubectl_rollout_status_says():
    def dep(updated, available, total, observed=1):
        return k8s.V1Deployment(metadata=k8s.V1ObjectMeta(generation=1), spec=k8s.V1DeploymentSpec(
            replicas=2, selector=k8s.V1LabelSelector(), template=k8s.V1PodTemplateSpec()),
            status=k8s.V1DeploymentStatus(updated_replicas=updated, available_replicas=available,
                                          replicas=total, observed_generation=observed))
    assert check.rolled_out(dep(2, 2, 2))
    assert not check.rolled_out(dep(2, 1, 2))
    assert not check.rolled_out(dep(2, 2, 3))           # an old pod still going
    assert not check.rolled_out(dep(2, 2, 2, observed=0))
