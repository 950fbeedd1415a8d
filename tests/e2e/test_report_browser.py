"""The report site in headless chromium: navigation, images, Mermaid, search, phone width,
and store values carrying HTML/JS payloads shown as text, never run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import MOBILE, BrowserSession, artifacts_dir, browser_page, serve_directory
from tests.helpers import assay

pytestmark = pytest.mark.e2e

SCRIPT = "<script>window.pwned=1</script>"
IMAGE = '"><img src=x onerror="window.pwned=2">'
CATEGORY = "<img src=x onerror=window.pwned=3>"
FAST = ["executor=threads", "report.resamples=200"]


def _data(path: Path, shift: float) -> None:
    """Breast cancer data with payloads in a column name and in category values."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 30]].copy()
    frame.columns = [SCRIPT, IMAGE, "texture", "area", "target"]
    frame[SCRIPT] = frame[SCRIPT] + shift * frame[SCRIPT].std()
    rng = np.random.default_rng(0)
    frame["group"] = rng.choice([CATEGORY, "plain"], size=len(frame))
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import shutil

    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("report") / "project"
    root.mkdir()
    shutil.copytree(REPO / "configs", root / "configs")
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    _data(root / "train.csv", 0.0)
    _data(root / "current.csv", 2.0)
    data = ["data=csv", "data.path=train.csv", "data.target=target", "features=onehot_standard"]
    for extra in ([f"card.intended_use='{IMAGE}'", f"+registry.tags.note='{SCRIPT}'"],
                  ["model.C=0.5"]):
        result = assay("run", *FAST, *data, *extra, cwd=root)
        assert result.returncode == 0, result.stderr
    result = assay("monitor", *FAST, "monitor.current=current.csv", cwd=root)
    assert result.returncode == 0, result.stderr
    result = assay("report", "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    with serve_directory(Path(json.loads(result.stdout)["out"]) / "html") as url:
        yield url


def _assert_safe(session: BrowserSession) -> None:
    page = session.page
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert session.dialogs == [] and session.page_errors == []
    assert session.blocked_requests == []  # nothing loads from outside: the site works offline


def _images_loaded(session: BrowserSession) -> int:
    page = session.page
    page.wait_for_load_state("networkidle")
    sizes: list[Any] = page.eval_on_selector_all(
        ".md-content img", "images => images.map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert sizes and all(width > 0 for _, width in sizes), sizes
    return len(sizes)


def test_home_to_card_images_mermaid_and_search(site: str) -> None:
    with browser_page(artifacts_dir("report-site")) as session:
        page = session.page
        page.goto(site + "index.html")
        session.screenshot("home")
        page.get_by_role("link", name="v2", exact=True).first.click()
        page.wait_for_url("**/models/logistic-regression/v2.html")
        assert _images_loaded(session) >= 5  # ROC, PR, confusion, calibration, importance
        body = page.inner_text(".md-content")
        assert SCRIPT in body and IMAGE in body  # the payloads are text on the page
        session.screenshot("model-card")
        _assert_safe(session)

        page.get_by_role("link", name="Pipelines").first.click()
        page.wait_for_selector("div.mermaid", timeout=15_000)  # replaced once rendered
        assert _mermaid_svg_nodes(session) >= 8  # one node per step of the train pipeline
        session.screenshot("pipelines")

        page.goto(site + "drift/index.html")
        page.locator(".md-content a[href$='.html']").last.click()
        _images_loaded(session)  # reference-against-current histograms of drifted columns
        assert SCRIPT in page.inner_text(".md-content")
        session.screenshot("drift-check")
        _assert_safe(session)

        page.goto(site + "index.html")
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").press_sequentially("logistic")
        result = page.locator(".md-search-result__item").first
        result.wait_for(timeout=15_000)
        assert "logistic-regression" in page.inner_text(".md-search-result")
        session.screenshot("search")
        _assert_safe(session)


def test_pages_fit_a_phone_width_screen(site: str) -> None:
    with browser_page(artifacts_dir("report-site-phone"), viewport=MOBILE) as session:
        page = session.page
        for path in ("index.html", "models/logistic-regression/v1.html", "runs/index.html"):
            page.goto(site + path)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (path, overflow)  # wide tables scroll inside themselves
            session.screenshot(path.replace("/", "-").removesuffix(".html"))
        _assert_safe(session)


def _table_key(text: str) -> tuple[int, Any]:
    """How a table should order a cell: numbers first, as numbers (a leading number that
    stands alone, as in "12.5 s"); then text, so run ids and dates order by time."""
    plain = text.strip().replace(",", "")
    number = re.match(r"[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?(?=%|\s|$)", plain, re.I)
    return (0, float(number.group(0))) if number else (1, plain.lower())


def test_tables_sort_by_the_clicked_column_and_reverse_on_a_second_click(site: str) -> None:
    with browser_page(artifacts_dir("report-site-tables")) as session:
        page = session.page
        page.goto(site + "runs/index.html")
        page.wait_for_load_state("networkidle")
        table = page.locator(".md-typeset table:not([class])").first
        headers = table.locator("thead th")

        def column(index: int) -> list[str]:
            return table.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()

        varied = [i for i in range(headers.count()) if len(set(column(i))) > 1]
        assert varied, "the runs table has no column whose values differ"
        for index in varied:
            headers.nth(index).click()
            ascending = column(index)
            assert headers.nth(index).get_attribute("aria-sort") == "ascending"
            assert [_table_key(t) for t in ascending] == sorted(_table_key(t) for t in ascending)
            headers.nth(index).click()
            assert headers.nth(index).get_attribute("aria-sort") == "descending"
            assert column(index) == ascending[::-1]
        session.screenshot("runs-sorted")
        _assert_safe(session)


def _mermaid_svg_nodes(session: BrowserSession) -> int:
    """Nodes of the rendered diagram. Material puts the SVG in a closed shadow root, which
    page scripts cannot reach, so it is read through the DevTools protocol instead."""
    cdp = session.page.context.new_cdp_session(session.page)
    tree = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})
    count = 0

    def walk(node: dict[str, Any], inside_svg: bool) -> None:
        nonlocal count
        name = node.get("nodeName", "").lower()
        classes = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2],
                           strict=False)).get("class", "")
        if inside_svg and name == "g" and "node" in classes.split():
            count += 1
        for child in (node.get("children", []) + node.get("shadowRoots", [])):
            walk(child, inside_svg or name == "svg")

    walk(tree["root"], False)
    return count
