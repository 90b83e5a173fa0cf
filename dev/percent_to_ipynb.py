"""Authoring aid: turn a percent-format script into a notebook with outputs stripped.

    python dev/percent_to_ipynb.py source.py notebooks/NN-topic.ipynb

Cells start with `# %%` (code) or `# %% [markdown]` (markdown, each line starting "# ").
Tags go after the marker: `# %% tags=["parameters"]`. The .ipynb is what is committed.
"""
import json
import re
import sys

import nbformat


def parse(text: str):
    cells, kind, tags, lines = [], None, [], []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)

    for line in text.splitlines():
        m = re.match(r"^# %%( \[markdown\])?(?: tags=(\[.*\]))?\s*$", line)
        if m:
            flush()
            kind = "markdown" if m.group(1) else "code"
            tags = json.loads(m.group(2)) if m.group(2) else []
            lines = []
        else:
            lines.append(line)
    flush()
    return cells


def main(src: str, dst: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(open(src).read())
    nb.metadata["kernelspec"] = {"name": "dockyard", "display_name": "Python (dockyard)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number:02d}"  # stable ids keep diffs small
    nbformat.write(nb, dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
