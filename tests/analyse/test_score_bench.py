"""`bench/score.py` (the issue's 1,000,000-person scoring bench) must keep running as the marts
grow: its generated events once lacked a column the marts had started to read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_scoring_bench_scores_every_person() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "score.py"), "--persons", "3000"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "scored 3,000 persons" in result.stdout and "rows/s" in result.stdout, result.stdout
