"""The presenter's copy of a notebook starts with `presenter_mode()`: output for the back row."""
from __future__ import annotations

# Sizes that stay readable from the back of a room on a 1080p projector.
OUTPUT_FONT = "1.5em"
FIGURE_SIZE = (12, 6.5)
FIGURE_FONT = 16

STYLE = f"""<style>
.jp-OutputArea-output pre, .jp-OutputArea-output table, .jp-RenderedHTMLCommon {{ font-size: {OUTPUT_FONT}; }}
.widget-html-content, .widget-label {{ font-size: {OUTPUT_FONT}; }}
</style>"""


def presenter_mode() -> None:
    """Larger text in every output of this notebook, and larger matplotlib figures."""
    from IPython.display import HTML, display
    display(HTML(STYLE))
    try:
        import matplotlib as mpl
    except ImportError:
        return
    mpl.rcParams.update({"figure.figsize": FIGURE_SIZE, "font.size": FIGURE_FONT})
    print("presenter mode: large output")
