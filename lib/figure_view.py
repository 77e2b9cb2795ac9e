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
        self._moving_axes, self._moving, self._background = [], [], None

    def moving(self, *, axes=(), artists=()):
        """Declare what a redraw changes, so that the rest is drawn once and kept.

        Parameters
        ----------
        axes : sequence of Axes
            Panels that change as a whole (their colours): drawn again entirely.
        artists : sequence of Artist
            Texts and outlines that change (their text, place or visibility) and lie
            above everything else of their panel: drawn again over the kept picture.

        Everything else is drawn once, into a kept picture, and is then assumed not to
        change until :meth:`rebuilt`. The picture is the same, pixel for pixel, as a
        whole drawing (a test checks it): the moving artists are drawn in the order a
        whole drawing draws them, above the kept ones.
        """
        self._moving_axes = list(axes)
        ordered = []
        for ax in self.figure.axes:
            children = [a for a in ax.get_children() if any(a is m for m in artists)]
            ordered += sorted(children, key=lambda a: a.get_zorder())  # stable, as Axes.draw
        if len(ordered) != len(artists):
            raise ValueError("every moving artist must belong to one of the figure's axes")
        for artist in ordered:
            artist.set_animated(True)  # left out of a whole drawing
        self._moving = ordered
        self._background = None

    def rebuilt(self):
        """The figure was built again (other panels): forget the kept picture and what
        moves, until :meth:`moving` says it again."""
        for artist in self._moving:
            artist.set_animated(False)
        self._moving_axes, self._moving, self._background = [], [], None

    def draw(self):
        """Draw the figure onto its canvas: the kept picture and what moves over it."""
        canvas = self.figure.canvas
        if not (self._moving_axes or self._moving):
            canvas.draw()
            return
        if self._background is None:
            for ax in self._moving_axes:
                ax.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            for ax in self._moving_axes:
                ax.set_visible(True)
        canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for ax in self._moving_axes:
            ax.draw(renderer)
        for artist in self._moving:
            if artist.get_visible():
                artist.draw(renderer)

    def png(self):
        """The figure as PNG bytes (no tight bounding box: the figure's own layout, set
        by ``tight_layout`` when it was built)."""
        from PIL import Image

        canvas = self.figure.canvas
        self.draw()
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
