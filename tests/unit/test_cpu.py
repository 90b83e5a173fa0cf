"""CPU shares from two readings of /proc/stat."""
from dockyard.host.cpu import parse, shares

STAT = """cpu  100 0 50 800 40 0 10 0 0 0
cpu0 50 0 25 400 20 0 5 0 0 0
intr 12345
"""


def test_parse_reads_the_all_cpus_line():
    assert parse(STAT) == {"user": 100, "nice": 0, "system": 50, "idle": 800, "iowait": 40,
                           "irq": 0, "softirq": 10, "steal": 0}


def test_shares_are_of_the_time_between_the_readings():
    before = parse(STAT)
    after = dict(before, user=before["user"] + 60, system=before["system"] + 20, idle=before["idle"] + 100,
                 iowait=before["iowait"] + 10, steal=before["steal"] + 10)
    assert shares(before, after) == {"busy %": 40.0, "iowait %": 5.0, "idle %": 50.0, "steal %": 5.0}


def test_no_time_between_the_readings_is_no_division_by_zero():
    assert shares(parse(STAT), parse(STAT))["busy %"] == 0.0
