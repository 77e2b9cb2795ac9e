"""A matplotlib figure shown in a notebook widget, redrawn in place.

The book's interactive widgets (chapters 1 to 4) each keep one figure, built once, and on
every slider change update its artists (a grid's numbers and colours, an outline's
position, a title) and send the figure again as a PNG image. That is several times faster
than drawing a new figure into an ``Output`` widget with ``plt.show()``, which builds
every axes and artist again and, through the inline backend, draws the figure twice
(once to find its tight bounding box). ``tools/bench_widgets.py`` (``make bench``)
measures the redraws.

The figure is not one of pyplot's: the notebook never shows it by itself, and closing
the widget frees it.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: zlib's compression level of the PNG sent to the browser: 1 is the fastest, and the
#: figures (flat colours) compress well at any level.
PNG_COMPRESSION = 1


class FigureView:
    """One figure, and the ``ipywidgets.Image`` that shows it.

    Parameters
    ----------
    figsize : (float, float)
        The figure's size in inches.
    dpi : float, optional
        Its resolution. Default 100, as the chapters' figures (``setup_notebook()``).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        Draw into it, then call :meth:`update`.
    widget : ipywidgets.Image
        What the notebook shows.

    Examples
    --------
    >>> view = FigureView((2, 1))
    >>> _ = view.figure.add_subplot().plot([0, 1])
    >>> view.update()
    >>> bytes(view.widget.value[:4])  # a PNG
    b'\\x89PNG'
    >>> view.hide()
    >>> view.widget.layout.display
    'none'
    """

    def __init__(self, figsize, dpi=100):
        import ipywidgets as widgets  # only needed in a running notebook

        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        # As the inline backend's figures: never wider than the notebook.
        self.widget = widgets.Image(format="png", layout={"max_width": "100%", "height": "auto"})

    def png(self):
        """The figure as PNG bytes, drawn once (no tight bounding box: the figure's own
        layout, set by ``tight_layout`` when it was built)."""
        from PIL import Image

        canvas = self.figure.canvas
        canvas.draw()
        buffer = io.BytesIO()
        pixels = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        pixels.save(buffer, format="png", compress_level=PNG_COMPRESSION)
        return buffer.getvalue()

    def update(self):
        """Show the figure as it is now."""
        self.widget.value = self.png()
        self.widget.layout.display = None

    def hide(self):
        """Show nothing (a setting with no figure, whose reason is printed instead)."""
        self.widget.layout.display = "none"
