"""The presenter's copy of a notebook starts with `presenter_mode()`: output for the back row."""
from __future__ import annotations

# Sizes that stay readable from the back of a room on a 1080p projector.
OUTPUT_FONT = "1.5em"
FIGURE_SIZE = (12, 6.5)
FIGURE_FONT = 16

# Not in the slideshow (RISE marks its page `rise-enabled`): reveal.js scales the whole slide to
# the screen already, and larger again would put one paragraph on a slide.
_NOT_SLIDES = "body:not(.rise-enabled)"
STYLE = f"""<style>
{_NOT_SLIDES} .jp-OutputArea-output pre, {_NOT_SLIDES} .jp-OutputArea-output table,
{_NOT_SLIDES} .jp-RenderedHTMLCommon {{ font-size: {OUTPUT_FONT}; }}
{_NOT_SLIDES} .widget-html-content, {_NOT_SLIDES} .widget-label {{ font-size: {OUTPUT_FONT}; }}
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
