from dockyard.lessons import room as audience
IP_JSON = [
    {"ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"],
     "addr_info": [{"family": "inet", "local": "127.0.0.1", "scope": "host"}]},
    {"ifname": "eth0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
     "addr_info": [{"family": "inet", "local": "192.168.1.20", "scope": "global"},
                   {"family": "inet6", "local": "fe80::1", "scope": "link"}]},
    {"ifname": "wlan0", "flags": ["BROADCAST", "MULTICAST"],   # down
     "addr_info": [{"family": "inet", "local": "10.1.1.5", "scope": "global"}]},
    {"ifname": "docker0", "flags": ["BROADCAST", "MULTICAST", "UP"],
     "addr_info": [{"family": "inet", "local": "172.17.0.1", "scope": "global"}]},
    {"ifname": "br-1a2b3c", "flags": ["BROADCAST", "UP"],
     "addr_info": [{"family": "inet", "local": "172.18.0.1", "scope": "global"}]},
    {"ifname": "veth12ab", "flags": ["BROADCAST", "UP"], "addr_info": []},
]


def test_only_up_physical_global_ipv4_addresses():
    assert audience.addresses_from_ip_json(IP_JSON) == ["192.168.1.20"]


def test_urls_for_all_interfaces_list_every_lan_address():
    urls = audience.audience_urls("0.0.0.0", 8080, ["192.168.1.20", "10.0.0.2"])
    assert urls == ["http://192.168.1.20:8080/", "http://10.0.0.2:8080/"]


def test_urls_for_one_host_use_that_host():
    assert audience.audience_urls("127.0.0.1", 32771, ["192.168.1.20"]) == ["http://127.0.0.1:32771/"]


def test_loopback_is_not_reachable_by_the_room():
    assert not audience.reachable_by_room("127.0.0.1")
    assert not audience.reachable_by_room("127.0.0.2")
    assert audience.reachable_by_room("0.0.0.0")


def test_qr_code_is_a_png():
    assert audience.qr_png("http://192.168.1.20:8080/").startswith(b"\x89PNG")
