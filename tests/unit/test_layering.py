"""The layering of DESIGN.md is a checked contract, and the light paths stay light."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extras"
    result = subprocess.run([lint], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_compiling_imports_neither_dask_nor_scikit_learn_nor_torch() -> None:
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from assay.compiler import compile_plan, load_spec
        from assay.config.compose import compose
        from assay.config.project import locate_project
        from assay.steps import default_catalog
        project = locate_project(Path({str(REPO)!r}))
        cfg = compose(project, ["model=hist_gbm", "evaluate.cv_folds=3"])
        catalog, _ = default_catalog()
        plan = compile_plan(load_spec(project.pipeline_path("train")), cfg, catalog,
                            hash_file=lambda p: "h", base_dir=project.root)
        assert len(plan) == 13
        cfg = compose(project, ["model=mlp", "model.device=cuda"])  # torch, checked statically
        plan = compile_plan(load_spec(project.pipeline_path("train")), cfg, catalog,
                            hash_file=lambda p: "h", base_dir=project.root)
        assert plan.node("train").resources.gpu == 1
        heavy = [m for m in ("sklearn", "dask", "distributed", "torch", "pandas")
                 if m in sys.modules]
        print(heavy)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
