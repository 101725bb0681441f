"""Tiny HTML templating: ``string.Template`` where every value is escaped unless it is ``Markup``
(HTML we built ourselves from escaped parts). No value reaches a page unescaped by accident."""

from __future__ import annotations

import html
from collections.abc import Iterable
from string import Template


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


def esc(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def render(template: Template, **values: object) -> str:
    return template.substitute({k: esc(v) for k, v in values.items()})


def join(parts: Iterable[str]) -> Markup:
    return Markup("".join(esc(p) for p in parts))


VOID_ELEMENTS = frozenset({"input", "br", "meta", "img"})


def tag(element: str, content: object = "", /, **attrs: object) -> Markup:
    """``<element attr="…">content</element>`` with the content and every attribute escaped
    (``class_`` → ``class``, ``data_case`` → ``data-case``)."""
    shown = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    if element in VOID_ELEMENTS:
        return Markup(f"<{element}{shown}>")
    return Markup(f"<{element}{shown}>{esc(content)}</{element}>")


PAGE = Template(
    """<!doctype html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>$title</title>
<style>
body{font:16px/1.5 system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.4rem 0} h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
.verdict{padding:.8rem 1rem;border-radius:.5rem;font-weight:600;color:#fff;background:#666}
.likely_scam,.confirmed{background:#b3261e} .suspicious,.pending,.quarantined{background:#a15c00}
.no_known_signals,.rejected,.retired{background:#2e6b3a}
.no_known_signals_weak{background:#4f5b62}
.advice{background:#fff;border-left:4px solid #b3261e;padding:.6rem 1rem}
.item{word-break:break-all;font-family:ui-monospace,monospace;background:#fff;padding:.3rem .5rem}
table{border-collapse:collapse;width:100%;background:#fff} td,th{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
nav a{margin-right:.8rem} .muted{color:#666;font-size:.9rem}
form.inline{display:inline} button{font:inherit;padding:.2rem .6rem;margin:.1rem}
</style>
</head>
<body><main>
$body
</main></body>
</html>
"""
)
