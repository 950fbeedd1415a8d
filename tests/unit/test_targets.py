from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assay.compiler.targets import TargetNotFoundError, inspect_target


def test_scikit_learn_targets_are_read_without_importing_scikit_learn() -> None:
    code = textwrap.dedent("""
        import sys
        from assay.compiler.targets import inspect_target
        info = inspect_target("sklearn.linear_model.LogisticRegression")
        assert "C" in info.params and "max_iter" in info.params, info
        info = inspect_target("sklearn.ensemble.HistGradientBoostingClassifier")
        assert "learning_rate" in info.params
        assert "sklearn" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    ("path", "message", "suggestion"),
    [
        ("sklearn.linear_model.LogisticRegresion",
         "module 'sklearn.linear_model' has no attribute 'LogisticRegresion'",
         "LogisticRegression"),
        ("sklearn.linear_modle.LogisticRegression",
         "no module named 'sklearn.linear_modle'", "sklearn.linear_model"),
        ("sklearn.linear_model", "'sklearn.linear_model' is a module, not a class or function",
         None),
        ("nosuchpackage.Thing", "no module named 'nosuchpackage'", None),
    ],
)
def test_paths_that_do_not_resolve_say_why(path: str, message: str, suggestion: str | None) -> None:
    with pytest.raises(TargetNotFoundError, match=re.escape(message)) as error:
        inspect_target(path)
    if suggestion:
        assert suggestion in error.value.suggestions


def test_live_dataclass_targets_report_fields_and_file_params() -> None:
    info = inspect_target("assay.steps.sources.CsvFile")
    assert info.params == ("path", "target", "task", "sep", "categorical", "coerce")
    assert info.required == ("path", "target")
    assert info.file_params == ("path",)
    assert info.code_version is not None  # assay's own code counts in fingerprints


def test_static_reading_of_a_project_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "myproj_models"
    package.mkdir()
    (package / "__init__.py").write_text("from .nets import Net\n")
    (package / "nets.py").write_text(textwrap.dedent("""
        from dataclasses import dataclass

        class Net:
            def __init__(self, width, depth=2, *, dropout=0.0):
                self.width = width

        @dataclass
        class Loader:
            path: "FilePath"
            rows: int = 10
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    net = inspect_target("myproj_models.Net")
    assert net.params == ("width", "depth", "dropout") and net.required == ("width",)
    assert net.code_version is not None
    loader = inspect_target("myproj_models.nets.Loader")
    assert loader.params == ("path", "rows") and loader.file_params == ("path",)
    assert "myproj_models" not in sys.modules


def test_an_init_inherited_from_the_same_module_is_read_from_its_class(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "myproj_inherit"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = textwrap.dedent("""
        from collections import OrderedDict

        class _Base:
            def __init__(self, width, depth=2):
                self.width = width

        class _Middle(_Base):
            pass

        class Net(_Middle, OrderedDict):
            pass

        class Other(OrderedDict, _Base):
            pass
    """)
    (package / "nets.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    net = inspect_target("myproj_inherit.nets.Net")
    assert net.params == ("width", "depth") and net.required == ("width",)
    assert not net.accepts("widht")
    # the first base comes from another module: its __init__ cannot be read, so unknown
    assert inspect_target("myproj_inherit.nets.Other").params is None
    (package / "nets.py").write_text(source.replace("depth=2", "depth=3"))
    from assay.compiler import targets

    targets._parse.cache_clear()
    inspect_target.cache_clear()  # both caches live for one process; a run is one process
    assert inspect_target("myproj_inherit.nets.Net").code_version != net.code_version
    assert "myproj_inherit" not in sys.modules


def test_assay_torch_estimators_get_their_parameters_from_the_shared_init() -> None:
    code = textwrap.dedent("""
        import sys
        from assay.compiler.targets import inspect_target
        for name in ("MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor"):
            info = inspect_target("assay.torch." + name)
            assert {"lr", "epochs", "device"} <= set(info.params), (name, info)
            assert ("hidden_sizes" in info.params) == name.startswith("MLP"), (name, info)
        assert "torch" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
