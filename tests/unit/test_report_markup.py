"""Store values become text on the report's pages, never Markdown or HTML; plans as Mermaid."""

from __future__ import annotations

import html
import re
from pathlib import Path

import markdown
import pytest

from assay.report import markup as md
from assay.report.mermaid import plan_diagram
from assay.report.site import Page, SiteProject, relative

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror="alert(2)">',
    "name {: onclick=alert(3) }",
    "a | b | c",
    "**bold** _it_ `code` [link](http://x) ![i](x.png)",
    "&lt;already escaped&gt; &amp;",
    "# heading\nsecond line",
    "café ünïcode 模型",
]


def render(source: str) -> str:
    """Python-Markdown with the extensions the report's mkdocs.yml enables."""
    return markdown.markdown(source, extensions=["tables", "admonition", "attr_list", "toc"])


def visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_renders_exactly_as_written_and_adds_no_markup(payload: str) -> None:
    rendered = render(f"Value: {md.text(payload)}")
    assert visible(rendered) == "Value: " + " ".join(payload.split())
    assert re.findall(r"<(\w+)", rendered) == ["p"]  # no element but the paragraph


@pytest.mark.parametrize("payload", PAYLOADS)
def test_table_cells_and_headings_stay_text(payload: str) -> None:
    rendered = render(f"## {md.text(payload)}\n\n" + md.table([payload, "n"], [(payload, 1)]))
    assert set(re.findall(r"<(\w+)", rendered)) == {"h2", "table", "thead", "tr", "th", "tbody",
                                                   "td"}
    cells = re.findall(r"<t[dh]>(.*?)</t[dh]>", rendered)
    shown = " ".join(payload.split())
    assert [html.unescape(c) for c in cells] == [shown, "n", shown, "1"]


def test_numbers_are_formatted_and_missing_ones_shown_as_a_dash() -> None:
    assert visible(render(md.number(0.123456789))) == "0.1235"
    assert visible(render(md.number(1234567))) == "1,234,567"
    assert visible(render(md.number(None))) == "—"
    assert visible(render(md.number(float("nan")))) == "—"


def test_the_plan_diagram_colours_nodes_by_status_and_keeps_labels_plain() -> None:
    tasks = [{"node": "load", "step": "load_dataset", "status": "cached"},
             {"node": 'x"]; click n0 call alert(1) %%', "step": "<b>s</b>", "status": "ran"},
             {"node": "fit", "step": "train_model", "status": "failed"}]
    diagram = plan_diagram(tasks, [("load", tasks[1]["node"]), (tasks[1]["node"], "fit")])
    assert "n0 --> n1" in diagram and "n1 --> n2" in diagram
    assert "class n0 cached" in diagram and "class n1 ran" in diagram
    assert "class n2 failed" in diagram and "class  skipped" not in diagram
    labels = re.findall(r'\["(.*?)"\]', diagram)
    assert labels[0] == "load (load_dataset)"
    assert all(not set(label) & set('"<>;%') for label in labels)


def test_pages_are_written_only_when_changed_and_cards_only_once(tmp_path: Path) -> None:
    project = SiteProject(tmp_path)
    project.write_page(Page("models/m/v1.md", "# first", {"a": 1}, once=True))
    project.write_page(Page("models/m/v1.md", "# rewritten", {"a": 2}, once=True))
    assert (tmp_path / "docs/models/m/v1.md").read_text() == "# first"
    project.write_page(Page("index.md", "# home"))
    assert project.written == ["models/m/v1.md", "models/m/v1.json", "index.md", "index.json"]
    again = SiteProject(tmp_path)
    again.write_page(Page("index.md", "# home"))
    assert again.written == []
    assert again.prune() == ["models/m/v1.json", "models/m/v1.md"]  # not produced this time
    assert relative("models/m/v1.md", "runs/r.md") == "../../runs/r.md"


def test_a_plot_is_drawn_only_when_its_input_changed_and_counts_as_written(tmp_path: Path) -> None:
    drawn: list[str] = []

    def draw(label: str) -> bytes:
        drawn.append(label)
        return b"\x89PNG " + label.encode()

    def build(key: str, label: str) -> SiteProject:
        project = SiteProject(tmp_path)
        project.draw_if_changed("drift/timeline.png", key, lambda: draw(label))
        project.prune()
        return project

    first = build("a", "one")
    assert drawn == ["one"] and first.drawn == ["drift/timeline.png"]
    assert first.written == ["drift/timeline.png", "drift/timeline.png.sha256"]
    again = build("a", "two")  # same input: neither drawn nor pruned
    assert drawn == ["one"] and again.drawn == again.written == again.removed == []
    assert (tmp_path / "docs/drift/timeline.png").read_bytes() == b"\x89PNG one"
    changed = build("b", "three")
    assert drawn == ["one", "three"] and changed.written == ["drift/timeline.png",
                                                             "drift/timeline.png.sha256"]
    (tmp_path / "docs/drift/timeline.png").unlink()  # a missing plot is drawn whatever its stamp
    assert build("b", "four").drawn == ["drift/timeline.png"]


def test_generated_files_are_readable_by_others(tmp_path: Path) -> None:
    project = SiteProject(tmp_path)
    project.write_text("index.md", "# home")
    project.write_text("exports/models/m/v1/README.md", "# m")
    for file in (tmp_path / "docs/index.md", tmp_path / "exports/models/m/v1/README.md"):
        assert file.stat().st_mode & 0o777 == 0o644


def test_exports_are_written_through_the_project_and_pruned_with_their_version(
        tmp_path: Path) -> None:
    project = SiteProject(tmp_path)
    project.write_text("exports/models/m/v1/README.md", "# v1")
    project.write_text("exports/models/m/v2/README.md", "# v2")
    assert project.written == ["exports/models/m/v1/README.md", "exports/models/m/v2/README.md"]
    later = SiteProject(tmp_path)  # v1 was removed from the store; v2's card exists
    later.keep_tree("exports/models/m/v2")
    assert later.prune() == ["exports/models/m/v1/README.md"]
    assert (tmp_path / "exports/models/m/v2/README.md").read_text() == "# v2"


def test_notes_take_a_title_and_times_are_utc() -> None:
    assert visible(render(md.note("no test data"))).startswith("Not recorded yet")
    rendered = render(md.note("no test data", "Not evaluated"))
    assert "Not evaluated" in rendered and "Not recorded yet" not in rendered
    assert md.utc(0) == "1970-01-01 00:00:00"
