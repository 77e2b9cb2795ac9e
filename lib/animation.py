"""Animations that play on the static website, from its own files only.

Matplotlib's ``to_jshtml`` writes an animation as HTML and JavaScript with every frame
embedded, so it plays in a web page with no kernel. Five things in its output are unfit
for a book that must work offline and pass an accessibility audit, and
:func:`animation_html` mends them:

- it links the Font Awesome style sheet from a CDN for its button icons: the link is
  dropped and each icon becomes an inline SVG shape;
- its frame image has no ``alt`` text: the caller's description is added;
- its frame slider and its speed buttons have no accessible name: they get one;
- its frames keep the figure's width, wider than a phone screen: they shrink to fit;
- its repetition choice is a named form, a landmark that repeats on a page with several
  animations: it becomes a radio group.

It also replaces the random id that matplotlib draws for each animation with one derived
from the frames, so that executing a notebook twice stores the same page.
"""

import hashlib
import itertools
import re

from IPython.display import HTML

from lib.training_loop import quick_run_steps

__all__ = ["animation_html"]

# Font Awesome 4 icon classes used by matplotlib's template, and the inline SVG shapes
# (16 x 16) that replace them: drawn by the browser itself, with no font that a reader's
# machine may lack (the Unicode media symbols show as empty boxes in many fonts).
_ICONS = {
    "fa fa-minus": "M3 7h10v2H3z",
    "fa fa-plus": "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
    "fa fa-fast-backward": "M2 3h2v10H2zM9 3v10L4 8zM15 3v10l-5-5z",  # first frame
    "fa fa-step-backward": "M3 3h2v10H3zM13 3v10L6 8z",  # previous frame
    "fa fa-play fa-flip-horizontal": "M12 3v10L4 8z",  # play backwards
    "fa fa-pause": "M4 3h3v10H4zM9 3h3v10H9z",
    "fa fa-play": "M4 3v10l8-5z",
    "fa fa-step-forward": "M3 3v10l7-5zM11 3h2v10h-2z",  # next frame
    "fa fa-fast-forward": "M1 3v10l5-5zM7 3v10l5-5zM12 3h2v10h-2z",  # last frame
}
_SVG = (
    '<svg aria-hidden="true" focusable="false" width="14" height="14" viewBox="0 0 16 16">'
    '<path fill="currentColor" d="{}"/></svg>'
)
# The frames shrink to the width of a phone screen instead of overflowing it, and the
# buttons wrap onto a second row when they do not fit on one.
_STYLE = (
    "<style>.animation { max-width: 100%; }"
    " .animation img { max-width: 100%; height: auto; }"
    " .animation input[type=range].anim-slider { max-width: 100%; }"
    " .animation .anim-buttons { display: flex; flex-wrap: wrap; justify-content: center;"
    " gap: 4px; }"
    " .animation .anim-buttons button { line-height: 1; padding: 6px 0; margin: 0; }</style>"
)


def animation_html(anim, alt, *, default_mode="once"):
    """An animation as self-contained HTML for a notebook and the static website.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        The animation; its figure is closed afterwards, so that the notebook does not
        also show it as a still image.
    alt : str
        What the animation shows, for readers who cannot see it: the frame image's
        ``alt`` text.
    default_mode : {"once", "loop", "reflect"}
        What the animation does at its last frame until the reader changes it.

    Returns
    -------
    IPython.display.HTML

    Raises
    ------
    ValueError
        If ``alt`` is empty, or ``default_mode`` is not one of the three modes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from matplotlib.animation import FuncAnimation
    >>> fig, ax = plt.subplots(figsize=(1, 1))
    >>> anim = FuncAnimation(fig, lambda i: ax.set_title(str(i)), frames=2)
    >>> html = animation_html(anim, alt="A title that counts 0, 1.").data
    >>> "https://" in html, 'alt="A title that counts 0, 1."' in html
    (False, True)
    >>> html == animation_html(FuncAnimation(fig, lambda i: ax.set_title(str(i)), frames=2),
    ...                        alt="A title that counts 0, 1.").data
    True
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of what the animation shows")
    if default_mode not in ("once", "loop", "reflect"):
        raise ValueError(f"default_mode must be 'once', 'loop' or 'reflect'; got {default_mode!r}")
    import matplotlib.pyplot as plt  # imported here: lib imports without a display

    quick = quick_run_steps()
    if quick is not None:
        html = _quick_run(anim, quick)
    else:
        html = _self_contained(anim.to_jshtml(default_mode=default_mode), alt)
    plt.close(anim._fig)
    return HTML(html)


def _quick_run(anim, frames):
    """The grader's quick run (:mod:`lib.training`): the first ``frames`` frames drawn
    and rendered, as saving them would, but none encoded into a player.

    The run only shows that the cell runs, and its output is never shown: this skips the
    player's first drawing of frame 0 (matplotlib draws it once more to save it) and the
    PNG encoding, about 40 % of a two-frame animation. ``_draw_frame`` and
    ``_draw_was_started`` are matplotlib's (3.11, pinned).
    """
    drawn = 0
    for framedata in itertools.islice(anim.new_saved_frame_seq(), frames):
        anim._draw_frame(framedata)  # the animation's own code, for this frame
        anim._fig.canvas.draw()  # rendered, as saving the frame would
        drawn += 1
    anim._draw_was_started = True  # drawn: matplotlib need not warn that it never was
    return f"<p>Quick run: {drawn} frame{'s' * (drawn != 1)} drawn, not encoded.</p>"


def _self_contained(html, alt):
    """matplotlib's jshtml with its CDN link, icons, missing names and random id mended."""
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    for icon, shape in _ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', _SVG.format(shape))
    html += _STYLE
    escaped = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    html = re.sub(r"<img id=\"(_anim_img\w+)\">", rf'<img id="\1" alt="{escaped}">', html)
    html = re.sub(
        r"<input id=\"(_anim_slider\w+)\" type=\"range\"",
        r'<input id="\1" type="range" aria-label="Frame"',
        html,
    )
    # A named form is a landmark, and a page with several animations would have several
    # landmarks of the same name: the form loses its name, and the repetition choice
    # becomes a named radio group inside it.
    html = re.sub(
        r'<form title="Repetition mode" aria-label="Repetition mode"([^>]*)>',
        r'<form\1><div role="radiogroup" aria-label="Repetition mode" style="display: inline">',
        html,
    )
    html = html.replace("</form>", "</div></form>")
    # matplotlib draws uuid4().hex for the ids; a hash of the page makes them repeatable.
    ids = set(re.findall(r"_anim_img([0-9a-f]{32})", html))
    for old in ids:
        new = hashlib.sha256(html.replace(old, "").encode()).hexdigest()[:32]
        html = html.replace(old, new)
    return html
