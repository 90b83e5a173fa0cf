"""Reading a classic `docker build` log: which steps came from the cache and which ran, and
which images the steps left."""
from __future__ import annotations

import re

STEP_IMAGE = re.compile(r"---> ([0-9a-f]{12})")   # " ---> 1a2b3c4d5e6f": the image a step left


def step_kinds(log: list[str]) -> list[str]:
    """One entry per "Step N/M : ..." line: "base" (FROM, or an ARG before the first FROM),
    "cached" (the step printed "---> Using cache") or "ran"."""
    kinds: list[str] = []
    seen_from = False
    current = None
    for line in log:
        if line.startswith("Step "):
            if current is not None:
                kinds.append(current)
            instruction = line.split(" : ", 1)[-1].strip().upper()
            if instruction.startswith("FROM"):
                current, seen_from = "base", True
            elif not seen_from:
                current = "base"
            else:
                current = "ran"
        elif current == "ran" and line.strip() == "---> Using cache":
            current = "cached"
    if current is not None:
        kinds.append(current)
    return kinds


def step_images(log: list[str]) -> set[str]:
    """The short IDs (12 hex digits) of the images named by the log's " ---> 1a2b3c4d5e6f" lines:
    each FROM's image and the image each step left ("---> Running in …" and "---> Using cache"
    name no image). The classic builder keeps them: on Engine 20.10 as the parents of the tagged
    image, on Engine 29 (containerd image store) as untagged images of their own."""
    return {m.group(1) for line in log if (m := STEP_IMAGE.fullmatch(line.strip()))}
