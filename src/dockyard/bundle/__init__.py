"""A workshop in one file: `dockyard bundle save | load | serve`.

A bundle is a plain tar whose first member is `manifest.json`, then one gzip-compressed member per
part: the catalog images (one `docker save`, so shared layers go once), the kind node image (the
cluster's images are inside it), and the kind binary. The manifest names the kit version, the
pinned versions, each image's id and recipe, the engine's CPU architecture, and each part's size
and sha256. The manifest comes first so a loader refuses a bundle for another machine or another
kit before reading the rest, and every part is checked against it before anything is loaded.
The engine decompresses the image parts itself (`docker load` reads gzip).
"""
