from __future__ import annotations

import re

import pytest

from assay.errors import ConfigError, Problem, StepError, StepFailure, UserError, did_you_mean


def test_problem_names_where_what_expected_and_fix() -> None:
    problem = Problem(
        "unknown parameter 'test_sise'", file="pipelines/train.yaml:20", step="split",
        key="with.test_sise", expected="one of 'seed', 'test_size'", hint="did you mean 'test_size'?",
    )
    assert str(problem) == (
        "pipelines/train.yaml:20, step 'split', key 'with.test_sise': unknown parameter "
        "'test_sise'\n  expected: one of 'seed', 'test_size'\n  hint: did you mean 'test_size'?"
    )


def test_user_error_lists_every_problem() -> None:
    error = ConfigError([Problem("first", key="a"), Problem("second", key="b")])
    assert error.render().startswith("2 problems found in the configuration:")
    assert "- key 'a': first" in error.render() and "- key 'b': second" in error.render()
    assert error.exit_code == 2


def test_user_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match=re.escape("a UserError needs at least one problem")):
        UserError([])


def test_did_you_mean_only_for_close_words() -> None:
    assert did_you_mean("logisitc", ["logistic", "ridge"]) == "did you mean 'logistic'?"
    assert did_you_mean("zzz", ["logistic", "ridge"]) is None


def _failure(user: bool) -> StepFailure:
    return StepFailure("train", "train_model", "ab" * 32, "ValueError", "boom", "tb",
                       "/logs/train.log", user_error=user)


def test_step_error_names_step_fingerprint_and_log() -> None:
    error = StepError([_failure(False)], "resume with: assay run")
    text = error.render()
    assert "step 'train' (train_model, fingerprint abababababab) failed" in text
    assert "ValueError: boom" in text and "log: /logs/train.log" in text
    assert text.endswith("resume with: assay run")
    assert error.exit_code == 1


def test_step_error_from_bad_data_exits_2() -> None:
    assert StepError([_failure(True)]).exit_code == 2
    assert StepError([_failure(True), _failure(False)]).exit_code == 1


def test_a_step_error_without_failures_is_not_a_data_error() -> None:
    # jobs a stopped sweep never ran carry no failure of their own
    assert StepError([], "the sweep stopped first").exit_code == 1
