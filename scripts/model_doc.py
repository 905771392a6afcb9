"""Fill the generated tables of docs/model.md from the code: the parameter schema and the
assumptions table (`lcsim.Assumptions`). `--check` exits 1 if the document is out of date (used by the tests).

    python scripts/model_doc.py          # rewrite the tables
    python scripts/model_doc.py --check  # fail if they differ from the code
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"


def parameter_rows() -> str:
    from lcsim.cli.run import params_table

    return params_table(markdown=True)


def constant_rows() -> str:
    from lcsim.assumptions import TABLE

    rows = ["| assumption | value | range | unit | rule | meaning | source |", "|---|---|---|---|---|---|---|"]
    for name, a in TABLE.items():
        rows.append(f"| `{name}` | {a.default:g} | {a.range_text} | {a.unit} | {a.group} | {a.meaning} | {a.source} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for marker, body in (("parameters", parameter_rows()), ("constants", constant_rows())):
        text = re.sub(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)",
                      lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text, flags=re.S)
    return text


def main() -> int:
    current = DOC.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("docs/model.md is out of date: run python scripts/model_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
