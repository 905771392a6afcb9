"""The one place lcsim writes HTML pages: the report, the trainer's debrief and the advice page.

Pages are meant to be e-mailed and opened anywhere, so nothing a user, a file or a record supplies
may become markup. The rule is one type: `Markup` is HTML this module (or a template written in
lcsim's code) built; everything else is text and is escaped with `html.escape` (quotes too, so it
cannot break out of an attribute) when it meets markup:

    fill("<p>Preset <b>{}</b>, seed {}</p>", preset, seed)   # preset and seed are escaped
    element("td", name, style=f"color:{colour}")             # text and attribute values escaped
    document("title", [heading, paragraph], style=STYLE)      # the page; body parts escaped unless Markup

Figures are embedded as base64 PNG (`image`), so a page is one self-contained file that needs no
network. Numbers keep their format specs in `fill` (`{:.0%}`), as they cannot carry markup.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable
from numbers import Number

_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")  # tag and attribute names come from code, never from data


class Markup(str):
    """HTML built by this module or by a template in lcsim's code: inserted as it is, never escaped again."""

    def __add__(self, other) -> Markup:
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other) -> Markup:
        return Markup(str.__add__(escape(other), self))

    def join(self, parts: Iterable) -> Markup:
        return Markup(str.join(self, (escape(p) for p in parts)))


def escape(value) -> Markup:
    """`value` as HTML text: Markup unchanged, anything else `html.escape(str(value), quote=True)`."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _safe_arg(value):
    # Numbers (not bools, whose str is a word anyway) keep their format spec; everything else is escaped.
    if isinstance(value, Number) and not isinstance(value, bool):
        return value
    return escape(value)


def fill(template: str, *args, **kwargs) -> Markup:
    """`template.format(...)` with every argument escaped (unless Markup); the template is code, trusted."""
    return Markup(template.format(*(_safe_arg(a) for a in args), **{k: _safe_arg(v) for k, v in kwargs.items()}))


def join(parts: Iterable, sep: str = "") -> Markup:
    """Parts joined, each escaped unless Markup; `sep` is code."""
    return Markup(sep).join(parts)


def element(tag: str, content="", **attrs) -> Markup:
    """`<tag attr="...">content</tag>`: content escaped unless Markup, attribute values always escaped.

    Attribute names are Python keywords (`class_` for class, `_` for `-`); None or False leaves one out.
    """
    if not _NAME.fullmatch(tag):
        raise ValueError(f"not a tag name: {tag!r}")
    shown = []
    for key, value in attrs.items():
        name = key.rstrip("_").replace("_", "-")
        if not _NAME.fullmatch(name):
            raise ValueError(f"not an attribute name: {key!r}")
        if value is None or value is False:
            continue
        shown.append(f' {name}="{html.escape(str(value), quote=True)}"')
    return Markup(f"<{tag}{''.join(shown)}>{escape(content)}</{tag}>")


def rows(head: Iterable, body: Iterable[Iterable], **attrs) -> Markup:
    """A table: a header row, then one row per item of `body`; every cell escaped unless Markup."""
    lines = [element("tr", join(element("th", h) for h in head))]
    lines += [element("tr", join(c if isinstance(c, Markup) and c.startswith("<td") else element("td", c)
                                 for c in row)) for row in body]
    return element("table", join(lines), **attrs)


def png_base64(figure, dpi: int = 110) -> str:
    """A matplotlib figure (or PNG bytes) as base64 PNG text."""
    if isinstance(figure, (bytes, bytearray)):
        data = bytes(figure)
    else:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)
        data = buffer.getvalue()
    return base64.b64encode(data).decode("ascii")


_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def image(figure, alt: str = "", **attrs) -> Markup:
    """An `<img>` holding the figure (matplotlib figure, PNG bytes, or base64 PNG text) inside the page."""
    if isinstance(figure, str):
        if not _BASE64.fullmatch(figure):
            raise ValueError("an image given as text must be base64 PNG data")
        data = "".join(figure.split())
    else:
        data = png_base64(figure)
    extra = "".join(f" {k.rstrip('_').replace('_', '-')}='{html.escape(str(v), quote=True)}'"
                    for k, v in attrs.items() if v is not None)
    return Markup(f"<img alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{data}'{extra}>")


def document(title: str, body: Iterable, style: str = "", lang: str = "en") -> str:
    """A whole page: `<!DOCTYPE html>`, its title (escaped), the style (code), the body parts (escaped unless Markup).

    The style is lcsim's own CSS; a `</style>` inside it would end it early, so it is refused.
    """
    if "</" in style:
        raise ValueError("a page's style may not contain '</'")
    head = fill('<!DOCTYPE html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title>', lang, title)
    return "\n".join([head, f"<style>{style}</style></head><body>", *(escape(part) for part in body),
                      "</body></html>"]) + "\n"
