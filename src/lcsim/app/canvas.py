"""A matplotlib figure redrawn every month, quickly enough for a live page.

Rendering a figure's fixed parts (axes, ticks, titles, legends) costs more than drawing the
month's data, so the fixed parts are rendered once into a background and each month only the
data are drawn over a copy of it. The background is rendered again when its `key` changes
(e.g. an axis limit grew).
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


class LiveFigure:
    def __init__(self, size: tuple[float, float], dpi: int = 100) -> None:
        self.fig = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.drawn: list = []  # this month's artists, removed before the next month's are added
        self._background = None
        self._key = None

    def clear(self) -> None:
        for artist in self.drawn:
            artist.remove()
        self.drawn = []

    def png(self, key=None, moving=()) -> bytes:
        """The figure as PNG bytes. `moving`: fixed artists whose content changes (e.g. a title)."""
        artists = [*moving, *self.drawn]
        if self._background is None or key != self._key:
            for artist in artists:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
            for artist in artists:
                artist.set_visible(True)
        else:
            self.canvas.restore_region(self._background)
        for artist in sorted(artists, key=lambda a: a.get_zorder()):
            if artist.axes is not None:
                artist.axes.draw_artist(artist)
            else:
                self.fig.draw_artist(artist)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)  # speed over size: the page is served locally
        return buffer.getvalue()
