"""Render page.html.j2 into <out>/index.html: the "build step" that needs Python and Jinja2."""
import sys
from pathlib import Path

from jinja2 import Template

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
steps = ["FROM a full toolchain", "RUN the build", "FROM something small", "COPY --from the result"]
page = Template(Path("page.html.j2").read_text()).render(title="Built in one stage, served from another",
                                                        steps=steps)
(out / "index.html").write_text(page)
print(f"wrote {out / 'index.html'} ({len(page)} bytes)")
