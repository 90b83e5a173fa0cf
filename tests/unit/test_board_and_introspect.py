"""The board's pure parts and the introspection helpers: no engine needed."""
from dockyard import display
from dockyard.kube import board as kube_board
from dockyard.lessons import board
from dockyard.lessons import introspect
def summary(name, state, ports=()):
    return {"Names": [f"/{name}"], "Image": "dockyard/busybox:1.35", "State": state,
            "Status": state.title(), "Ports": list(ports)}


def test_rows_keep_only_the_prefix_and_sort_by_name():
    rows = board.rows_from([summary("dy-b", "running"), summary("other", "exited"),
                            summary("dy-a", "created")], prefix="dy-")
    assert [r["name"] for r in rows] == ["dy-a", "dy-b"]
    assert rows[0]["state"] == "created"


def test_rows_show_published_ports_only():
    ports = [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 49153, "Type": "tcp"},
             {"PrivatePort": 443, "Type": "tcp"}]
    rows = board.rows_from([summary("web", "running", ports)])
    assert rows[0]["ports"] == "127.0.0.1:49153→80"


def test_changes_name_new_gone_and_state_changes():
    lines = board.changes({"a": "running", "b": "running"}, {"a": "exited", "c": "created"})
    assert lines == ["a  running → exited", "b  running → gone", "c  new → created"]
    assert board.changes({"a": "running"}, {"a": "running"}) == []


def test_render_escapes_names_and_says_when_empty():
    assert "no containers yet" in board.render([], [])
    rows = [{"name": "<x>", "image": "i", "state": "running", "status": "Up", "ports": ""}]
    page = board.render(rows, ["12:00:00  <x>  new → running"])
    assert "&lt;x&gt;" in page and "<x>" not in page
    assert board.STATE_COLOURS["running"] in page


def test_board_frame_escapes_text_and_keeps_the_last_log_lines():
    log = [f"12:00:0{i}  <p{i}>" for i in range(display.BOARD_LOG_LINES + 2)]
    page = display.board_frame("heading", "<ns>", "<tr><td>cell</td></tr>", log)
    assert "<tr><td>cell</td></tr>" in page and "&lt;ns&gt;" in page
    assert "&lt;p0&gt;" not in page and "&lt;p1&gt;" not in page
    assert f"&lt;p{len(log) - 1}&gt;" in page


def test_both_boards_draw_the_same_frame():
    log = ["12:00:00  web  new → running"]
    frames = [board.render([], log, "dy-"), kube_board.render({"node-a": []}, log, "ns")]
    assert "live board" in frames[0] and "pods by node" in frames[1]
    tails = {page[page.index("</table>"):] for page in frames}
    assert len(tails) == 1 and "web  new → running" in tails.pop()


STATUS = "Name:\tsh\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n"


def test_docker_default_capabilities_decode():
    caps = introspect.capabilities(STATUS)
    assert caps[:3] == ["CHOWN", "DAC_OVERRIDE", "FOWNER"]
    assert "NET_RAW" in caps and "SYS_ADMIN" not in caps and len(caps) == 14
    assert introspect.capabilities(STATUS, "CapInh") == []


def test_memory_in_use_subtracts_cache_v1_and_v2():
    v1 = {"memory_stats": {"usage": 5_000_000, "stats": {"total_inactive_file": 1_000_000}}}
    v2 = {"memory_stats": {"usage": 3_000_000, "stats": {"inactive_file": 500_000}}}
    assert introspect.memory_in_use(v1) == 4_000_000
    assert introspect.memory_in_use(v2) == 2_500_000
    assert introspect.memory_in_use({}) == 0


def test_pick_walks_nested_fields():
    attrs = {"State": {"Status": "exited", "ExitCode": 137}, "Config": {"Env": None}}
    assert introspect.pick(attrs, "State.ExitCode") == 137
    assert introspect.pick(attrs, "State.Nope", "-") == "-"
    assert introspect.pick(attrs, "Config.Env.X", "-") == "-"


def test_pairs_reads_name_value_lines():
    assert introspect.pairs("pid pid:[4026531836]\nnet net:[1]\n\n") == {
        "pid": "pid:[4026531836]", "net": "net:[1]"}
