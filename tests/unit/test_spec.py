from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from assay.compiler.spec import OutputRef, load_spec
from assay.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_train_spec_reads() -> None:
    spec = load_spec(REPO / "pipelines" / "train.yaml")
    assert list(spec.steps) == [
        "load", "validate", "split", "features", "train", "evaluate", "profile_train",
        "profile", "register",
        "cv_fold",
        "cross_validation",
    ]
    assert spec.steps["train"].inputs == {
        "data": OutputRef("split", "train"), "features": OutputRef("features", "transformer")
    }
    assert spec.metrics[0] == OutputRef("evaluate", "metrics")


def test_malformed_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = _spec(tmp_path, "steps:\n  load:\n    uses: load_dataset\n   with: x\n")
    with pytest.raises(PipelineError) as error:
        load_spec(path)
    assert re.search(r"p\.yaml:4:\d+: malformed YAML", str(error.value))


def test_every_shape_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _spec(tmp_path, """
        stepz: {}
        steps:
          load:
            usse: load_dataset
          split:
            uses: split_dataset
            inputs:
              data: load
    """)
    with pytest.raises(PipelineError) as error:
        load_spec(path)
    text = str(error.value)
    assert "unknown top-level key 'stepz'" in text and "did you mean 'steps'?" in text
    assert "step 'load', key 'usse': unknown key 'usse'" in text
    assert "did you mean 'uses'?" in text
    assert "step 'load', key 'uses': the step does not say which registered step it uses" in text
    assert "key 'inputs.data': input 'data' is not a reference to an upstream output" in text


def test_duplicate_step_names_are_refused(tmp_path: Path) -> None:
    path = _spec(tmp_path, """
        steps:
          load: {uses: load_dataset}
          load: {uses: load_dataset}
    """)
    with pytest.raises(PipelineError, match=re.escape("step 'load' is defined twice")):
        load_spec(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="a pipeline spec must be a mapping"):
        load_spec(_spec(tmp_path, ""))
