"""`fraudgraph demo`: the showcase world, its case report in real headless Chromium, and its load into a Bolt server.

The browser is Debian's ``chromium`` driven by Playwright through ``executable_path`` (no browser download);
without it the browser tests skip, unless ``FRAUDGRAPH_REQUIRE_BROWSER`` is set (as CI does), then they fail.
"""

import json
import os
import shutil
import struct
import zlib

import pandas as pd
import pytest
from clirun import cli
from fraudgraph.patterns.base import available_patterns

from fraudgraph.loading import validate_folder

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "D"
    code, text, err = cli("demo", "--out", out)
    assert code == 0, err
    return out, text


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM) or __import__("importlib").util.find_spec("playwright") is None:
        if os.environ.get("FRAUDGRAPH_REQUIRE_BROWSER"):
            pytest.fail(f"the report tests need Debian's chromium at {CHROMIUM} and playwright")
        pytest.skip("no chromium or playwright here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_the_demo_holds_every_typology_beside_its_look_alike(demo):
    out, text = demo
    patterns = pd.read_parquet(out / "truth" / "patterns.parquet")
    both = patterns.groupby("typology")["is_fraud"].agg(["any", "all"])
    assert set(both.index) == set(available_patterns()) and both["any"].all() and not both["all"].any(), both
    persons = pd.read_parquet(out / "nodes" / "Person.parquet")
    assert 300 <= len(persons) <= 600
    problems, _ = validate_folder(out)
    assert problems == []
    assert (out / "queries" / "money_mule.cypher").is_file() and (out / "cypher" / "load.cypher").is_file()
    assert "open " in text and "report/index.html" in text


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    return page, problems, requests


def test_the_report_opens_offline_with_a_picture_per_case_and_working_links(demo, browser):
    out, _ = demo
    report = out / "report"
    page, problems, requests = _open(browser, (report / "index.html").as_uri())
    links = page.eval_on_selector_all("a[href^='cases/']", "els => els.map(e => e.getAttribute('href'))")
    patterns = pd.read_parquet(out / "truth" / "patterns.parquet")
    assert sorted(links) == sorted(f"cases/{p}.html" for p in patterns["pattern_id"])
    assert page.locator("svg.chart rect").count() > 50  # events per day
    for href in links:
        page.click(f"a[href='{href}']")
        page.wait_for_load_state()
        assert page.url.endswith(href)
        assert page.locator("svg.case-graph").count() == 2, href  # the case and its look-alike
        assert page.locator("svg.case-graph title").count() > 0
        assert "MATCH" in page.locator("pre").inner_text()
        page.click("text=overview")
        page.wait_for_load_state()
        assert page.url.endswith("index.html")
    assert problems == []
    assert all(u.startswith("file://") and str(report) in u for u in requests), requests


def test_screenshots_are_not_blank(demo, browser, tmp_path):
    out, _ = demo
    patterns = pd.read_parquet(out / "truth" / "patterns.parquet")
    mule = patterns[(patterns["typology"] == "money_mule") & patterns["is_fraud"]]["pattern_id"].iloc[0]
    for url in ((out / "report" / "index.html").as_uri(), (out / "report" / "cases" / f"{mule}.html").as_uri()):
        page, problems, _ = _open(browser, url)
        png = page.screenshot(full_page=False)
        colours, dark = _png_stats(png)
        assert problems == [] and colours > 50 and 0.02 < dark < 0.6, (url, colours, dark)


def _png_stats(data: bytes) -> tuple[int, float]:
    """Distinct colours and the share of dark pixels of an 8-bit RGB(A) PNG, decoded here (filters 0-4)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    pixels = [row[i:i + 3] for row in rows[::4] for i in range(0, stride, channels * 4)]
    dark = sum(1 for p in pixels if sum(p) < 300) / len(pixels)
    return len(set(pixels)), dark


def test_the_demo_loads_into_a_bolt_server_and_scores_the_pack(bolt_server, tmp_path):
    database = bolt_server.create_database("demo")
    out = tmp_path / "D2"
    code, text, err = cli("demo", "--out", out, "--neo4j", bolt_server.uri,
                          env={"NEO4J_USER": bolt_server.user, "NEO4J_PASSWORD": bolt_server.password,
                               "NEO4J_DATABASE": database})
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    with bolt_server.driver() as driver, driver.session(database=database) as session:
        persons = session.run("MATCH (n:Person) RETURN count(n) AS c").single()["c"]
        patterns = session.run("MATCH (n:Pattern) RETURN count(n) AS c").single()["c"]
        transactions = session.run("MATCH (n:Transaction) RETURN count(n) AS c").single()["c"]
    assert persons == manifest["counts"]["nodes"]["Person"]
    assert patterns == manifest["counts"]["truth"]["patterns"]
    assert transactions == manifest["counts"]["events"]["transaction-initiated"]
    scores = json.loads((out / "report" / "scores.json").read_text())
    assert {s["query"] for s in scores["scores"]} >= {"money_mule", "kiting_cycle", "fraud_ring"}
    index = (out / "report" / "index.html").read_text()
    assert "Scored against the truth" in index and "money_mule" in index
    problems, _ = validate_folder(out)
    assert problems == []  # the re-rendered overview and the scores are in the manifest
