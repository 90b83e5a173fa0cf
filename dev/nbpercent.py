"""Authoring aid: edit notebooks as plain text, commit only the .ipynb.

    python dev/nbpercent.py to-py notebooks/NN-topic.ipynb build/src/NN-topic.py
    python dev/nbpercent.py to-ipynb build/src/NN-topic.py notebooks/NN-topic.ipynb

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


def to_percent(nb) -> str:
    chunks = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        marker = "# %%" + (" [markdown]" if cell.cell_type == "markdown" else "")
        marker += f" tags={json.dumps(tags)}" if tags else ""
        body = cell.source
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + l) if l else "#" for l in body.splitlines())
        chunks.append(marker + "\n" + body)
    return "\n\n".join(chunks) + "\n"


def to_ipynb(src: str, dst: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(open(src).read())
    nb.metadata["kernelspec"] = {"name": "dockyard", "display_name": "Python (dockyard)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number:02d}"  # stable ids keep diffs small
    nbformat.write(nb, dst)


if __name__ == "__main__":
    mode, src, dst = sys.argv[1:4]
    if mode == "to-py":
        with open(dst, "w") as out:
            out.write(to_percent(nbformat.read(src, as_version=4)))
    else:
        to_ipynb(src, dst)
