"""The report site built from a real store: MkDocs strict, immutable cards, exports, links."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from tests.helpers import assay, assert_clean_error

FAST = ["executor=threads", "report.resamples=200"]
CARD = "models/logistic-regression/v1"


def build(project: Path, *args: str) -> dict[str, object]:
    result = assay("report", "--json", *args, cwd=project)
    assert result.returncode == 0, result.stderr
    built: dict[str, object] = json.loads(result.stdout)
    return built


def card_files(site: Path) -> dict[str, bytes]:
    """Every file of the v1 card: its page, data, plots, HTML and exports."""
    found = [site / "docs" / f"{CARD}.md", site / "docs" / f"{CARD}.json",
             site / "html" / f"{CARD}.html", *sorted((site / "docs" / CARD).iterdir()),
             *sorted((site / "exports" / CARD).iterdir())]
    return {str(f.relative_to(site)): f.read_bytes() for f in found}


def plots(docs: Path) -> dict[str, tuple[int, bytes]]:
    """Every plot under ``docs``: when it was last written, and its bytes."""
    return {str(f.relative_to(docs)): (f.stat().st_mtime_ns, f.read_bytes())
            for f in sorted(docs.rglob("*.png"))}


def test_the_site_builds_strict_and_a_card_never_changes_after_later_runs(project: Path) -> None:
    assert assay("run", *FAST, "card.owners=[ml-team]", "card.license=Apache-2.0",
                 "evaluate.slices=['mean radius']", cwd=project).returncode == 0
    first = build(project)
    site = project / "site"
    assert first["new_cards"] == 1 and (site / "html" / "index.html").is_file()
    strict = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=site,
                            capture_output=True, text=True, timeout=120)
    assert strict.returncode == 0, strict.stderr
    before = card_files(site)
    assert {Path(name).suffix for name in before} >= {".md", ".json", ".html", ".png"}

    result = assay("run", *FAST, "model.C=0.5", "report.build=true", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "report rebuilt" in result.stdout
    assert card_files(site) == before  # byte-identical, plots and exports included
    card = (site / "docs" / f"{CARD}.md").read_text()
    second = (site / "docs" / "models/logistic-regression/v2.md").read_text()
    assert "model.C" in second and "What changed since the previous version" in second
    assert "latest is **[v2](v2.md)**" in (site / "docs/models/logistic-regression/latest.md"
                                           ).read_text()
    # the card's sections, with the human-written ones missing flagged and given ones shown
    for heading in ("Details", "Intended use", "Training and evaluation data", "Metrics",
                    "Metrics by slice", "Plots", "Lineage", "Drift status", "How to use it"):
        assert f"## {heading}" in card
    assert card.count('!!! warning "Missing"') == 4
    assert "| license | Apache-2.0 |" in card and "| owners | ml-team |" in card
    data = json.loads((site / "docs" / f"{CARD}.json").read_text())
    roc = next(m for m in data["evaluation"]["metrics"] if m["name"] == "roc_auc")
    assert roc["low"] <= roc["value"] <= roc["high"] < 1.0 + 1e-9
    assert abs(roc["value"] - data["metrics"]["roc_auc"]) < 1e-9  # same test split, same model

    drawn = plots(site / "docs")
    rebuilt = build(project)
    assert rebuilt["new_cards"] == 0 and rebuilt["written"] == 0 and rebuilt["drawn"] == 0
    assert plots(site / "docs") == drawn  # no plot redrawn, not even to the same bytes
    assert rebuilt["pages"] == len(list((site / "docs").rglob("*.md")))


def test_exports_follow_the_model_card_toolkit_and_hugging_face_layouts(project: Path) -> None:
    assert assay("run", *FAST, "card.intended_use=screening research", cwd=project).returncode == 0
    build(project)
    exports = project / "site" / "html" / "exports" / CARD
    card = json.loads((exports / "model-card.json").read_text())
    assert card["model_details"]["name"] == "logistic-regression"
    assert card["model_details"]["version"]["name"] == "v1"
    assert {m["type"] for m in card["quantitative_analysis"]["performance_metrics"]} >= {
        "roc_auc", "accuracy"}
    assert card["considerations"]["use_cases"] == [{"description": "screening research"}]
    readme = (exports / "README.md").read_text()
    front = yaml.safe_load(readme.split("---\n")[1])
    index = front["model-index"][0]
    assert index["name"] == "logistic-regression"
    assert index["results"][0]["task"]["type"] == "tabular-classification"
    assert {m["type"] for m in index["results"][0]["metrics"]} >= {"roc_auc"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.targets.append(value)


def test_every_local_link_and_image_of_the_built_site_exists(project: Path) -> None:
    assert assay("run", *FAST, cwd=project).returncode == 0
    assert assay("run", "-m", *FAST, "model.C=0.1,2.0", cwd=project).returncode == 0
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_parquet(project / "same.parquet")
    assert assay("monitor", *FAST, "monitor.current=same.parquet", cwd=project).returncode == 0
    build(project)
    html = project / "site" / "html"
    # 404.html is MkDocs' error page, served for any path, so its links are root-absolute.
    pages = sorted(p for p in html.rglob("*.html") if p.name != "404.html")
    assert len(pages) > 10
    missing = []
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        for target in parser.targets:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            if not (page.parent / unquote(parts.path)).resolve().exists():
                missing.append(f"{page.relative_to(html)} -> {target}")
    assert missing == []
    for page in (project / "site" / "docs").rglob("*.md"):
        assert page.with_suffix(".json").is_file(), page  # every page has its figures as JSON
    plan = (project / "site" / "docs" / "pipelines" / "index.md").read_text()
    assert "```mermaid" in plan and re.search(r"class n\d+(,n\d+)* (ran|cached)", plan)

    # Nothing new in the store: no sweep, drift or card plot is drawn or written again.
    docs = project / "site" / "docs"
    drawn = plots(docs)
    assert {"drift/timeline.png", "sweeps"} <= {name if name.startswith("drift/timeline")
                                                else name.split("/")[0] for name in drawn}
    rebuilt = build(project)
    assert rebuilt["written"] == rebuilt["drawn"] == rebuilt["removed"] == 0
    assert plots(docs) == drawn


def test_report_without_a_store_is_a_clean_error(project: Path) -> None:
    assert_clean_error(assay("report", cwd=project))


def test_an_unusable_out_directory_or_port_is_a_clean_error(project: Path) -> None:
    import socket

    assert assay("run", *FAST, cwd=project).returncode == 0
    (project / "a-file").write_text("not a directory")
    assert "--out" in assert_clean_error(assay("report", "--out", "a-file", cwd=project))
    (project / "site" / "html").parent.mkdir()
    (project / "site" / "html").write_text("not a directory either")  # where MkDocs writes
    assert "--out" in assert_clean_error(assay("report", cwd=project))
    (project / "site" / "html").unlink()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert "--port" in assert_clean_error(assay("report", "serve", "--port", port,
                                                    cwd=project))


def test_report_serve_rebuilds_when_a_run_adds_a_version(project: Path) -> None:
    import socket
    import time
    import urllib.request

    assert assay("run", *FAST, cwd=project).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "assay", "report", "serve", "--port",
                               str(port)], cwd=project, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

    def fetch(path: str, wanted: str) -> bool:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}") as page:
                    if wanted in page.read().decode():
                        return True
            except OSError:
                pass  # not listening yet, or rebuilding
            time.sleep(0.5)
        return False

    def home(wanted: str) -> bool:
        return fetch("index.html", wanted)

    try:
        assert home("v1.html")
        # the exports live outside docs/; the site's MkDocs hook serves them too
        assert fetch(f"exports/{CARD}/model-card.json", '"model_details"')
        assert assay("run", *FAST, "model.C=0.5", cwd=project).returncode == 0
        assert home("v2.html")  # the new version's card, without another command
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_sweep_with_report_build_rebuilds_the_site_once_after_all_jobs(project: Path) -> None:
    result = assay("run", "-m", *FAST, "model.C=0.1,2.0", "report.build=true", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("report rebuilt") == 1
    cards = sorted((project / "site" / "docs" / "models" / "logistic-regression").glob("v*.md"))
    assert [c.name for c in cards] == ["v1.md", "v2.md"]
    quiet = assay("run", "-m", *FAST, "model.C=0.3,0.4", cwd=project)  # report.build is off
    assert quiet.returncode == 0 and "report rebuilt" not in quiet.stdout
