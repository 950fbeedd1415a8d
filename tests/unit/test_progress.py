from __future__ import annotations

import io

from assay.executor.progress import Progress
from assay.executor.task import TaskOutcome


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = _Terminal()
    progress = Progress(total=6, cached=4, stream=stream)
    progress.started("train")
    progress.finished(TaskOutcome("train", "ran", 0.0, 0.1))
    progress.started("evaluate")
    progress.finished(TaskOutcome("evaluate", "failed", 0.0, 0.1))
    progress.close()
    frames = stream.getvalue().split("\r\x1b[K")
    assert frames[1].startswith("[4/6] 4 cached") and "running: train" in frames[1]
    assert frames[2].startswith("[5/6] 4 cached")
    assert frames[4].startswith("[6/6] 4 cached, 1 failed")
    assert frames[-1] == ""  # the line is cleared at the end


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(total=2, cached=0, stream=stream)
    progress.started("a")
    progress.finished(TaskOutcome("a", "ran", 0.0, 0.1))
    progress.close()
    assert stream.getvalue() == ""
