"""Escaping for every output that renders text from logs: run ids, metric names and paths are
untrusted input (anyone can name a TensorBoard tag `<script>` or `%0A::error::`)."""

from __future__ import annotations

import re

#: Markdown that works mid-line. Line-start syntax (#, -, +, 1.) cannot trigger: newlines are
#: flattened and every value is placed after other text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def html(text: str) -> str:
    """For HTML and for markdown rendered as HTML: no tag, entity or comment survives."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


#: A code span as our messages and remediations write one: text between two single backticks.
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _inline(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html(text))


def markdown(text: str) -> str:
    """Inline markdown (also inside table cells): HTML-escaped, markdown syntax neutralised,
    newlines flattened so a value can never start a new block or close a table row."""
    return _inline(_flat(text))


def markdown_code(text: str) -> str:
    """`text` shown literally in code font, as a `<code>` element around `markdown(text)`.

    Not a backtick span: inside one, entities stay literal (`&lt;` would show as typed) and a `|`
    inside a table cell needs its own rules, so untrusted text could not be escaped one way for
    every place. Inside `<code>` the usual escapes apply and decode, so `<` shows as `<`."""
    return f"<code>{markdown(text)}</code>"


def markdown_prose(text: str) -> str:
    """Text that marks code with backticks (finding messages, remediations): each `` `span` ``
    becomes `markdown_code`, the rest is escaped as `markdown`; an unpaired backtick stays a
    visible backtick. Safe for untrusted names inside the text: no tag but `<code>` results."""
    flat = _flat(text)
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(flat):
        out += [_inline(flat[pos:m.start()]), markdown_code(m.group(1))]
        pos = m.end()
    out.append(_inline(flat[pos:]))
    return "".join(out)


def workflow_data(text: str) -> str:
    """The message part of a GitHub workflow command (`::error ...::<data>`)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`): `:` and `,` too."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml(text: str) -> str:
    """Text or attribute content in XML (JUnit): escaped, and characters XML 1.0 forbids dropped."""
    return html(_XML_INVALID.sub("", str(text)))
