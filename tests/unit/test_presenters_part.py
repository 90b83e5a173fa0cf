"""In a classroom, cells marked as the presenter's part print one line instead of running."""
from dockyard.lessons.notebook import presenters_part


def test_a_marked_cell_becomes_one_line():
    cell = ["# presenter's part: cordon a node\n", "core.patch_node('w1', {'spec': {'unschedulable': True}})\n"]
    out = presenters_part(cell)
    assert len(out) == 1 and out[0].startswith("print(")
    printed = eval(out[0].removeprefix("print(").rstrip().removesuffix(")"))
    assert "presenter’s part (cordon a node)" in printed


def test_other_cells_run_as_written():
    cell = ["# cordon a node\n", "core.patch_node('w1', {})\n"]
    assert presenters_part(cell) == cell
    assert presenters_part(["\n", "x = 1  # presenter's part: not first\n"])[1] == "x = 1  # presenter's part: not first\n"
