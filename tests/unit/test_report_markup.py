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
