"""The pure part of the checks of lab 6 (volumes and bind mounts) and lab 7 (logs, inspect, exec):
each usual mistake gets its own words, and the right answer none. No engine."""
from collections import namedtuple

from dockyard.labs import checks as check
ANON = "948b8d790362d17a0c9bb862649d0f2c130c551e5983bcd2a070eeed3d75fcda"


def volume(name, at, rw=True):
    return {"Type": "volume", "Name": name, "Source": f"/var/lib/docker/volumes/{name}/_data",
            "Destination": at, "RW": rw}


def bind(source, at, rw=True):
    return {"Type": "bind", "Source": source, "Destination": at, "RW": rw}


def test_anonymous_volumes_are_told_by_their_name():
    assert check.is_anonymous_volume(ANON)
    assert not check.is_anonymous_volume("notes") and not check.is_anonymous_volume(None)


def test_the_named_volume_at_its_path_is_right():
    assert check.mount_problem("w", [volume("notes", "/notes")], "/notes", volume="notes") is None
    assert check.mount_problem("w", [volume("notes", "/notes/")], "/notes", volume="notes") is None


def test_volume_mistakes_are_named():
    say = check.mount_problem
    assert "an anonymous volume (948b8d790362…) at /notes, not the volume `notes`" in \
        say("w", [volume(ANON, "/notes")], "/notes", volume="notes")
    assert "mounts the volume `notes` at /data, not at /notes" in \
        say("w", [volume("notes", "/data")], "/notes", volume="notes")
    nothing = say("w", [], "/notes", volume="notes")
    assert "has nothing mounted at /notes" in nothing and "goes when the container is removed" in nothing
    assert "the host folder /home/me/notes at /notes, not the volume `notes`" in \
        say("w", [bind("/home/me/notes", "/notes")], "/notes", volume="notes")
    assert "the volume `other` at /notes" in say("w", [volume("other", "/notes")], "/notes", volume="notes")


def test_bind_mount_mistakes_are_named(tmp_path):
    folder = str(tmp_path)
    say = check.mount_problem
    assert say("s", [bind(folder, "/site", rw=False)], "/site", folder=folder, read_only=True) is None
    assert say("s", [bind(folder + "/", "/site", rw=False)], "/site", folder=folder, read_only=True) is None
    assert "read-write: the container could change" in \
        say("s", [bind(folder, "/site")], "/site", folder=folder, read_only=True)
    assert f"mounts your folder {folder} at /www, not at /site" in \
        say("s", [bind(folder, "/www", rw=False)], "/site", folder=folder, read_only=True)
    assert "has nothing mounted at /site" in say("s", [], "/site", folder=folder, read_only=True)
    bare = say("s", [volume("site", "/site", rw=False)], "/site", folder=folder, read_only=True)
    assert "a source without a leading / is taken as the name of a volume" in bare
    assert "the host folder /elsewhere" in say("s", [bind("/elsewhere", "/site", rw=False)], "/site", folder=folder)
    assert "read-only, so it cannot write" in say("s", [bind(folder, "/site", rw=False)], "/site", folder=folder,
                                                  read_only=False)


def test_exit_code_answers():
    say = check.exit_code_problem
    assert say("EXIT_CODE", 5, 5, "payments") is None
    assert "not set yet" in say("EXIT_CODE", check.UNSET, 5, "payments")
    guess = say("EXIT_CODE", 1, 5, "payments")
    assert "which is not the code `payments` last exited with" in guess and "5" not in guess, "never tells the code"
    assert "the container's status, not its exit code" in say("EXIT_CODE", "exited", 5, "payments")
    assert "0 means a program ended well" in say("EXIT_CODE", 0, 5, "payments")
    assert "'StatusCode'" in say("EXIT_CODE", {"StatusCode": 5, "Error": None}, 5, "payments")
    assert "not a number" in say("EXIT_CODE", "5", 5, "payments")
    assert "not a number" in say("EXIT_CODE", True, 1, "payments")


def test_a_path_read_from_a_log():
    say, path = check.logged_path_problem, "/etc/payments/rates.csv"
    assert say("MISSING", path + "\n", path, "payments") is None
    assert "not set yet" in say("MISSING", check.UNSET, path, "payments")
    assert "the whole log" in say("MISSING", f"starting\nfatal: {path}: no such file\n", path, "payments")
    assert "a whole line of the log" in say("MISSING", f"fatal: {path}: no such file", path, "payments")
    assert "bytes" in say("MISSING", path.encode(), path, "payments")
    assert "not the file the log of `payments` says" in say("MISSING", "/etc/rates", path, "payments")


def test_a_value_read_from_a_file_inside():
    Exec = namedtuple("ExecResult", "exit_code output")
    truth, path = "bdf1a660-fe44", "/srv/vault/token"
    log = f"token written to {path}\n"

    def say(value):
        return check.file_value_problem("TOKEN", value, truth, path=path, name="vault", log=log, env=[path])
    assert say(truth + "\n") is None
    assert "not set yet" in say(check.UNSET)
    assert "TOKEN is an ExecResult" in say(Exec(0, truth.encode()))
    assert ".decode()" in say(truth.encode())
    assert "the path of the file" in say(path)
    assert "the log only says where the token is" in say(log.strip())
    assert "not what the file holds inside `vault`" in say("0000")
    assert all(path not in say(v) for v in (check.UNSET, "0000", "  ")), "finding the file is the exercise"
    assert "empty" in say("  ")


def test_environment_answers():
    env = check.env_of({"Config": {"Env": ["PATH=/bin", "SHOP_NAME=corner", "CURENCY=EUR", "EMPTY="]}})
    assert env == {"PATH": "/bin", "SHOP_NAME": "corner", "CURENCY": "EUR", "EMPTY": ""}
    lacking = check.env_problem("shop", env, "CURRENCY", "EUR")
    assert "has no variable CURRENCY (its environment sets SHOP_NAME, CURENCY, EMPTY)" in lacking
    assert "fixed when it is created" in lacking and "starting it again" not in lacking
    assert "so starting it again changed nothing" in check.env_problem("shop", env, "CURRENCY", "EUR", restarted=True)
    assert "CURRENCY='eur', not 'EUR'" in check.env_problem("shop", {"CURRENCY": "eur"}, "CURRENCY", "EUR")
    assert check.env_problem("shop", {"CURRENCY": "EUR"}, "CURRENCY", "EUR") is None


class _Container:
    """Just enough of a docker-py container for container_settles."""

    def __init__(self, status, code, out, err, cmd):
        self.status, self._out, self._err = status, out, err
        self.attrs = {"State": {"Status": status, "ExitCode": code}, "Config": {"Cmd": cmd}}

    def reload(self):
        pass

    def logs(self, stdout=True, stderr=True):
        # as the engine may hand it out: the stderr line before the stdout line written earlier
        return ((self._err if stderr else "") + (self._out if stdout else "")).encode()


class _Client:
    def __init__(self, container):
        self.containers = type("Containers", (), {"get": staticmethod(lambda name: container)})()


def test_a_container_that_ended_is_told_by_its_last_error_line_and_its_command():
    cmd = ["sh", "-c", "shop"]
    crashed = _Container("exited", 2, "shop starting\n", "fatal: SHOP_NAME is not set\n", cmd)
    said = check.container_settles(_Client(crashed), "shop", "is open", command=cmd, wait=0).message
    assert said == "container `shop` has exited (exit code 2), and its last error line is 'fatal: SHOP_NAME is not set'"
    bare = _Container("exited", 0, "", "", ["sh"])
    said = check.container_settles(_Client(bare), "shop", "is open", command=cmd, wait=0).message
    assert "it printed nothing: it ran `sh`, not the command it should run" in said
    assert check.container_settles(_Client(_Container("running", 0, "shop is open\n", "", cmd)), "shop", "is open",
                                   command=cmd, wait=0)
