"""A catalog of bad inputs: each gets a located, actionable message, exit 2, no traceback.

Every case runs the real command line (``assay run``) in a fresh project, and checks
that nothing was half-written: no artifact without its manifest, no staging leftovers.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import assay, assert_clean_error

TRAIN = (Path(__file__).resolve().parents[2] / "pipelines" / "train.yaml").read_text()


@dataclass(frozen=True)
class Case:
    """One bad input: files to write, arguments, and what the message must say."""

    args: tuple[str, ...]
    expected: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)


GOOD_CSV = "a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20))

CASES: dict[str, Case] = {
    "step name typo": Case(
        ("pipeline=typo",),
        ("pipelines/typo.yaml:", "step 'load', key 'uses': unknown step 'load_datset'",
         "did you mean 'load_dataset'?"),
        {"pipelines/typo.yaml": TRAIN.replace("uses: load_dataset", "uses: load_datset")},
    ),
    "parameter name typo": Case(
        ("pipeline=typo",),
        ("step 'split', key 'with.test_sise': step 'split_dataset' has no parameter 'test_sise'",
         "did you mean 'test_size'?"),
        {"pipelines/typo.yaml": TRAIN.replace("test_size: ${split", "test_sise: ${split")},
    ),
    "config group option typo": Case(
        ("model=logisitc",),
        ("command line 'model=logisitc', key 'model': no option 'logisitc' in config group "
         "'model'", "did you mean 'logistic'?", "expected: one of 'hist_gbm'"),
    ),
    "missing input": Case(
        ("pipeline=typo",),
        ("step 'split', key 'inputs.data': input 'data' of step 'split_dataset' is not connected",
         "expected: inputs: {data: <step>.<output>} giving a dataset"),
        {"pipelines/typo.yaml": TRAIN.replace("    inputs:\n      data: validate.data\n", "")},
    ),
    "cycle": Case(
        ("pipeline=typo",),
        ("step 'validate', key 'inputs': the steps form a cycle: validate -> split -> validate",),
        {"pipelines/typo.yaml": TRAIN.replace("data: load.data", "data: split.train")},
    ),
    "target that does not exist": Case(
        ("model._target_=sklearn.linear_model.Nope",),
        ("command line 'model._target_=sklearn.linear_model.Nope', step 'train', "
         "key 'model._target_': _target_ 'sklearn.linear_model.Nope' cannot be imported",
         "has no attribute 'Nope'"),
    ),
    "wrong parameter type": Case(
        ("split.test_size=abc",),
        ("command line 'split.test_size=abc', key 'split.test_size': 'split.test_size' has the "
         "wrong type", "expected: float", "got: 'abc' (str)"),
    ),
    "parameter out of range": Case(
        ("split.test_size=1.5",),
        ("key 'split.test_size': 'split.test_size' is out of range",
         "expected: a number in (0, 1)"),
    ),
    "missing data file": Case(
        ("data=csv", "data.path=missing.csv", "data.target=y"),
        ("command line 'data.path=missing.csv', step 'load', key 'data.path': data file not "
         "found: missing.csv",),
    ),
    "target column not in the data": Case(
        ("data=csv", "data.path=good.csv", "data.target=label", "executor=threads"),
        ("good.csv, step 'load', key 'data.target': target column 'label' is not in the data",
         "expected: one of the columns: a, b, y"),
        {"good.csv": GOOD_CSV},
    ),
    "empty dataset": Case(
        ("data=csv", "data.path=empty.csv", "data.target=y", "executor=threads"),
        ("empty.csv, step 'validate', key 'min_rows': the dataset has 0 rows",
         "expected: at least 1 row"),
        {"empty.csv": "a,b,y\n"},
    ),
    "unreadable data file": Case(
        ("data=csv", "data.path=blank.csv", "data.target=y", "executor=threads"),
        ("blank.csv, step 'load', key 'data.path': cannot read the file as CSV",),
        {"blank.csv": ""},
    ),
    "malformed pipeline YAML": Case(
        ("pipeline=typo",),
        ("pipelines/typo.yaml:", "malformed YAML"),
        {"pipelines/typo.yaml": "steps:\n  load:\n    uses: load_dataset\n   with: [1\n"},
    ),
    "malformed config YAML": Case(
        ("model=broken",),
        ("configs/model/broken.yaml:3:1: malformed YAML",),
        {"configs/model/broken.yaml": "_target_: sklearn.linear_model.Ridge\nalpha: [1\n"},
    ),
    "unknown config key": Case(
        ("model.CC=1",),
        ("command line 'model.CC=1', key 'model.CC': cannot set 'model.CC' from the command line",
         "to add a new key use +model.CC="),
    ),
    "estimator parameter typo": Case(
        ("+model.Cc=1",),
        ("step 'train', key 'model.Cc': sklearn.linear_model.LogisticRegression has no "
         "parameter 'Cc'", "did you mean 'C'?"),
    ),
    "unresolved interpolation": Case(
        ("pipeline=typo",),
        ("step 'train', key 'with.estimator': cannot resolve an interpolation",
         "did you mean 'model'?"),
        {"pipelines/typo.yaml": TRAIN.replace("estimator: ${model}", "estimator: ${modell}", 1)},
    ),
    "unknown pipeline": Case(
        ("pipeline=trian",),
        ("command line 'pipeline=trian', key 'pipeline': no pipeline named 'trian'",
         "did you mean 'train'?"),
    ),
    "mandatory value not set": Case(
        ("data=csv",),
        ("configs/data/csv.yaml, key 'data.path': 'data.path' is required and has no value",
         "configs/data/csv.yaml, key 'data.target'"),
    ),
    "malformed override": Case(
        ("model.C=[1",),
        ("key 'model.C': cannot parse the command-line override 'model.C=[1'",),
    ),
    "input of the wrong kind": Case(
        ("pipeline=typo",),
        ("step 'evaluate', key 'inputs.model': input 'model' expects a model, but "
         "'features.transformer' is a transformer",),
        {"pipelines/typo.yaml": TRAIN.replace("model: train.model", "model: features.transformer")},
    ),
    "classifier on a regression task": Case(
        ("data=diabetes", "executor=threads"),
        ("step 'train', key 'model': LogisticRegression is a classifier, but 'diabetes' is a "
         "regression task", "model=ridge"),
    ),
    "categorical columns without an encoder": Case(
        ("data=csv", "data.path=cat.csv", "data.target=y", "executor=threads"),
        ("step 'features', key 'features': columns ['color'] are not numeric",
         "use features=onehot_standard"),
        {"cat.csv": "a,color,y\n" + "".join(f"{i},{'rb'[i % 2]},{i % 2}\n" for i in range(20))},
    ),
    "invalid hyperparameter value": Case(
        ("model.C=-1", "executor=threads"),
        ("step 'train', key 'model': The 'C' parameter of LogisticRegression must be a float",),
    ),
    "unknown executor kind": Case(
        ("executor.kind=gpu",),
        ("command line 'executor.kind=gpu', key 'executor.kind': unknown executor kind 'gpu'",
         "expected: one of 'auto', 'dask', 'local', 'processes', 'sequential', 'threads'"),
    ),
    "unknown failure policy": Case(
        ("executor.on_error=keepgoing",),
        ("key 'executor.on_error': 'executor.on_error' is out of range",
         "did you mean 'keep-going'?"),
    ),
    "unreachable Dask scheduler": Case(
        ("executor=dask", "executor.address=tcp://127.0.0.1:9", "executor.timeout=1"),
        ("key 'executor.address': cannot connect to the Dask scheduler at tcp://127.0.0.1:9",
         "start one with `dask scheduler`"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_reported_where_it_is(project: Path, name: str) -> None:
    case = CASES[name]
    for relative, text in case.files.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(textwrap.dedent(text))
    stderr = assert_clean_error(assay("run", *case.args, cwd=project))
    for fragment in case.expected:
        assert fragment in stderr, f"{fragment!r} not in:\n{stderr}"
    _assert_nothing_half_written(project / ".assay")


def _assert_nothing_half_written(store: Path) -> None:
    staging = store / "tmp"
    assert not staging.exists() or not list(staging.iterdir())
    for entry in (store / "artifacts").glob("??/*"):
        assert (entry / "manifest.json").is_file(), f"{entry} has no manifest"


def test_the_catalog_is_large() -> None:
    assert len(CASES) >= 15
    assert all(re.search(r"key '", " ".join(c.expected)) for c in CASES.values()
               if "malformed" not in " ".join(c.expected))
