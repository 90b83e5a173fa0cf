from dockyard.images.debian_base import apt_source_lines

DEB822 = """Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main
"""


def test_deb822_sources_become_one_line_entries():
    assert apt_source_lines("bookworm", [DEB822], []) == [
        "deb http://mirror.example/debian bookworm main",
        "deb http://mirror.example/debian bookworm-updates main"]


def test_classic_sources_list_and_options():
    text = "deb [arch=amd64] http://m.example/debian bookworm main contrib\ndeb http://m.example/debian trixie main\n"
    assert apt_source_lines("bookworm", [], [text]) == ["deb http://m.example/debian bookworm main contrib"]
