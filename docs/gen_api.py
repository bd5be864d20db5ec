"""Generate ``docs/api.md``, the API reference, from the docstrings (with pdoc's reading of the modules).

    python docs/gen_api.py              # rewrite docs/api.md
    python docs/gen_api.py --html DIR   # also the browsable pdoc HTML site in DIR (not checked in)

``tests/test_docs.py`` regenerates the reference and fails when the checked-in file differs, and builds
the HTML with warnings as errors, so the reference cannot fall behind the code.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path

import pdoc
import pdoc.doc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api.md"
# the modules a user of the library meets, in reading order
MODULES = ("medins_ie", "medins_ie.pipeline", "medins_ie.records", "medins_ie.frames", "medins_ie.io", "medins_ie.html",
           "medins_ie.model", "medins_ie.evaluate", "medins_ie.fixtures", "medins_ie.review", "medins_ie.tokenize",
           "medins_ie.spacy_component", "medins_ie.view", "medins_ie.cli")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _signature(obj: pdoc.doc.Doc) -> str:
    if isinstance(obj, pdoc.doc.Class):
        try:
            sig = inspect.signature(obj.obj)
        except (TypeError, ValueError):
            return ""
        params = [str(p) for p in sig.parameters.values()]
        text = "(" + ", ".join(params) + ")"
        if len(text) > 100:
            text = "(\n" + ",\n".join("    " + p for p in params) + "\n)"
    else:
        sig = getattr(obj, "signature_without_self" if "." in obj.qualname else "signature", None)
        text = str(sig) if sig is not None else ""
    return re.sub(r"(: |-> )'([^']*)'", r"\1\2", _ADDRESS.sub("", text))


def _markdown(raw: str | None) -> str:
    """A docstring as Markdown: lines indented past the docstring's own margin become a code block."""
    if not raw:
        return ""
    lines = raw.expandtabs().split("\n")
    last = lines[-1]
    if len(lines) > 1 and not last.strip():
        margin = len(last)
    else:
        rest = [ln for ln in lines[1:] if ln.strip()]
        margin = min((len(ln) - len(ln.lstrip()) for ln in rest), default=0)
    out: list[str] = [lines[0].strip().replace("``", "`")]
    in_code = False
    for ln in lines[1:]:
        body = ln[margin:] if ln[:margin].strip() == "" else ln.lstrip()
        code = bool(body.strip()) and body.startswith(" ")
        if code and not in_code:
            if out and out[-1].strip():
                out.append("")
            out.append("```python")
            in_code = True
        elif not code and body.strip() and in_code:
            while out and not out[-1].strip():
                out.pop()
            out.extend(["```", ""])
            in_code = False
        if in_code:
            out.append(body[4:] if body.startswith("    ") else body.strip() if not body.strip() else body)
        else:
            out.append(body.replace("``", "`"))
    if in_code:
        while out and not out[-1].strip():
            out.pop()
        out.append("```")
    return "\n".join(out).strip()


def _public(obj: pdoc.doc.Doc, module: pdoc.doc.Module) -> bool:
    names = getattr(module.obj, "__all__", None)
    if names is not None and obj.qualname.split(".")[0] not in names:
        return False
    return not obj.name.startswith("_")


def _member(obj: pdoc.doc.Doc, level: int) -> list[str]:
    out: list[str] = []
    hashes = "#" * level
    if isinstance(obj, (pdoc.doc.Class, pdoc.doc.Function)):
        kind = "class " if isinstance(obj, pdoc.doc.Class) else ""
        out.extend([f"{hashes} {kind}`{obj.name}`", "", "```python", f"{kind}{obj.name}{_signature(obj)}", "```"])
    elif isinstance(obj, pdoc.doc.Variable):
        ann = obj.annotation_str.strip(": ") if obj.annotation_str else ""
        out.append(f"{hashes} `{obj.name}`" + (f": `{_ADDRESS.sub('', ann)}`" if ann else ""))
    else:
        return out
    out.append("")
    doc = _markdown(obj.obj.__doc__ if isinstance(obj, (pdoc.doc.Class, pdoc.doc.Function)) else None) \
        or obj.docstring.strip()
    if doc:
        out.append(doc)
        out.append("")
    if isinstance(obj, pdoc.doc.Class):
        for m in obj.own_members:
            if not m.name.startswith("_") and isinstance(m, pdoc.doc.Function) and m.docstring:
                out.extend(_member(m, level + 1))
    return out


def render() -> str:
    """The API reference as Markdown."""
    lines = ["# API reference", "",
             "Generated from the docstrings by `python docs/gen_api.py` (do not edit by hand; a test checks it is "
             "current). The output contract these objects follow is [`contract.md`](contract.md).", ""]
    for name in MODULES:
        mod = pdoc.doc.Module.from_name(name)
        lines.append(f"## `{name}`")
        lines.append("")
        if mod.obj.__doc__:
            lines.append(_markdown(mod.obj.__doc__))
            lines.append("")
        for member in mod.members.values():
            if not _public(member, mod) or isinstance(member, pdoc.doc.Module):
                continue
            home = member.taken_from[0]
            if home != name:  # re-exported from another module: documented there
                if name == "medins_ie":
                    lines.append(f"- `{member.name}`: see `{home}`")
                continue
            lines.extend(_member(member, 3))
        if name == "medins_ie":
            lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def build_html(directory: Path) -> None:
    """The pdoc HTML site of the same modules."""
    pdoc.pdoc(*MODULES, output_directory=directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="also write pdoc's HTML site to this folder")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print("docs/api.md is out of date: run python docs/gen_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    if args.html:
        build_html(args.html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
