from dockyard.engine import capfilter
from dockyard.engine.provision import os_release, plan

BARE = dict(reachable=False, docker_host_set=False, os_id="debian", os_like="", is_root=True,
            has_dockerd=False, missing_caps=[], runtime_registered=False)


def test_running_engine_is_left_alone():
    assert plan(**BARE | {"reachable": True}) == ["nothing"]


def test_bare_debian_as_root_installs_and_starts():
    assert plan(**BARE) == ["install", "start"]


def test_installed_but_stopped_only_starts():
    assert plan(**BARE | {"has_dockerd": True}) == ["start"]


def test_missing_capability_adds_the_filter():
    assert plan(**BARE | {"missing_caps": ["CAP_SYS_RESOURCE"]}) == ["install", "capfilter", "start"]


def test_filter_already_registered_is_not_installed_again():
    facts = BARE | {"missing_caps": ["CAP_SYS_RESOURCE"], "runtime_registered": True, "has_dockerd": True}
    assert plan(**facts) == ["start"]


def test_running_engine_we_started_gets_the_filter_and_restarts():
    facts = BARE | {"reachable": True, "has_dockerd": True, "missing_caps": ["CAP_SYS_RESOURCE"],
                    "started_by_us": True}
    assert plan(**facts) == ["capfilter", "restart"]


def test_someone_elses_running_engine_is_never_restarted():
    facts = BARE | {"reachable": True, "has_dockerd": True, "missing_caps": ["CAP_SYS_RESOURCE"]}
    assert plan(**facts) == ["nothing"]


def test_docker_desktop_style_engine_is_never_touched():
    facts = BARE | {"reachable": True, "is_root": False, "missing_caps": ["CAP_SYS_RESOURCE"]}
    assert plan(**facts) == ["nothing"]


def test_refusals_say_why():
    assert plan(**BARE | {"is_root": False})[0].startswith("refuse:")
    assert plan(**BARE | {"os_id": "fedora"})[0].startswith("refuse:")
    assert "DOCKER_HOST" in plan(**BARE | {"docker_host_set": True})[0]
    assert plan(**BARE | {"os_id": "pop", "os_like": "ubuntu debian"}) == ["install", "start"]


def test_os_release_parsing():
    assert os_release('ID=debian\nVERSION_ID="12"\n') == {"ID": "debian", "VERSION_ID": "12"}


def test_missing_capabilities_from_the_bounding_set():
    status = "Name:\tx\nCapBnd:\t000001fffeffffff\n"
    bounding = capfilter.read_bounding_set(status)
    assert capfilter.missing_capabilities(bounding, 40) == ["CAP_SYS_RESOURCE"]
    assert capfilter.missing_capabilities((1 << 41) - 1, 40) == []


def test_daemon_config_keeps_other_settings():
    merged = capfilter.merged_daemon_config({"log-level": "warn", "runtimes": {"x": {"path": "/x"}}})
    assert merged["log-level"] == "warn"
    assert merged["default-runtime"] == capfilter.RUNTIME_NAME
    assert set(merged["runtimes"]) == {"x", capfilter.RUNTIME_NAME}


def test_wrapper_only_drops_capabilities(tmp_path):
    # Run the generated wrapper's filtering code on a bundle, without exec'ing runc.
    source = capfilter.wrapper_source("/bin/true").split("\nargs = sys.argv")[0]
    namespace: dict = {}
    exec(source, namespace)
    process = {"capabilities": {"bounding": ["CAP_SYS_RESOURCE", "CAP_CHOWN", "CAP_NET_ADMIN"]}}
    namespace["filter_process"](process, (1 << 41) - 1 & ~(1 << 24))
    assert process["capabilities"]["bounding"] == ["CAP_CHOWN", "CAP_NET_ADMIN"]


def test_stopped_systemd_service_is_started_through_systemctl():
    facts = BARE | {"has_dockerd": True, "systemd": True, "systemd_unit": True}
    assert plan(**facts) == ["systemd-start"]
    assert plan(**facts | {"missing_caps": ["CAP_SYS_RESOURCE"]}) == ["capfilter", "systemd-start"]
    assert plan(**facts | {"os_id": "fedora"}) == ["systemd-start"]   # installed is installed


def test_stopped_systemd_service_without_root_says_the_command():
    facts = BARE | {"has_dockerd": True, "systemd": True, "systemd_unit": True, "is_root": False}
    [step] = plan(**facts)
    assert step.startswith("refuse:") and "sudo systemctl start docker" in step


def test_running_systemd_service_is_left_alone():
    facts = BARE | {"reachable": True, "has_dockerd": True, "systemd": True, "systemd_unit": True,
                    "missing_caps": ["CAP_SYS_RESOURCE"]}
    assert plan(**facts) == ["nothing"]
    assert "DOCKER_HOST" in plan(**facts | {"reachable": False, "docker_host_set": True})[0]


def test_fresh_install_under_systemd_uses_the_packages_service():
    # docker.io's package starts docker.service at once; a filter added afterwards needs a restart.
    assert plan(**BARE | {"systemd": True}) == ["install", "systemd-start"]
    assert plan(**BARE | {"systemd": True, "missing_caps": ["CAP_SYS_RESOURCE"]}) == \
        ["install", "capfilter", "systemd-restart"]


def test_dockerd_without_a_unit_is_still_started_by_hand():
    assert plan(**BARE | {"has_dockerd": True, "systemd": True}) == ["start"]


def test_unit_listed():
    from dockyard.engine.provision import unit_listed
    assert unit_listed("docker.service enabled enabled\n")
    assert unit_listed("docker.service masked enabled\n")
    assert not unit_listed("")
    assert not unit_listed("docker.socket enabled enabled\n")
