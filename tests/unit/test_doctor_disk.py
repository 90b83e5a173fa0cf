"""The preflight's disk rows: a built machine runs on less than a build from source needs."""
from dockyard.ops import doctor
def test_enough_for_a_build_passes():
    check = doctor.disk_check("disk (docker)", "/var/lib/docker", doctor.MIN_FREE_DISK_GB + 1)
    assert check.ok and check.mark == "✓"


def test_less_than_a_build_needs_is_a_warning_not_a_failure():
    check = doctor.disk_check("disk (docker)", "/var/lib/docker", doctor.MIN_FREE_DISK_GB - 1)
    assert not check.ok and check.mark == "!" and doctor.healthy([check])
    assert f"{doctor.MIN_FREE_DISK_GB} GB" in check.fix


def test_less_than_the_notebooks_need_fails():
    check = doctor.disk_check("disk (docker)", "/var/lib/docker", doctor.NEED_FREE_DISK_GB - 1)
    assert check.mark == "✗" and not doctor.healthy([check])
    assert "dockyard clean" in check.fix
