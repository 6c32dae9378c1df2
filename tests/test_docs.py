"""docs/adding-a-task-or-model.md works exactly as written: its Python blocks run, in order, in a
fresh interpreter, and their own assertions (frozen ≠ fine-tuned score, head-only training) hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-task-or-model.md"


def test_adding_a_task_or_model_runs_as_written(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 3, "the page has a task, a model and a run block"
    script = tmp_path / "doc.py"
    script.write_text("\n\n".join(blocks))
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    finetune, probe = eval(lines["finetune"]), eval(lines["linear_probe"])
    assert finetune[1] > probe[1] == 130  # all parameters vs the 64→2 head
