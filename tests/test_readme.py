"""The README's quickstart block runs verbatim."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_quickstart_runs():
    text = README.read_text()
    block = re.search(r"<!-- quickstart -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README: expected a python block after <!-- quickstart -->"
    exec(compile(block.group(1), "README quickstart", "exec"), {})
