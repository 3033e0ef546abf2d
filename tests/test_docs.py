"""The documentation stands: every tutorial runs as written (its asserts hold), the site's
navigation names existing pages, and every API entry names a real object."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))


def test_there_are_three_tutorials():
    assert len(TUTORIALS) >= 3


@pytest.mark.parametrize("page", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(page, capsys):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert blocks and any("assert " in b for b in blocks)
    namespace: dict = {}
    for block in blocks:  # one namespace per page, blocks in order, as a reader runs them
        exec(compile(block, str(page), "exec"), namespace)  # noqa: S102


def test_site_navigation_and_api_entries_exist():
    config = (ROOT / "mkdocs.yml").read_text()
    pages = re.findall(r":\s+(\S+\.md)\s*$", config, re.M)
    assert len(pages) >= 6
    for page in pages:
        assert (ROOT / "docs" / page).is_file(), page
    for target in re.findall(r"^::: (\S+)$", (ROOT / "docs" / "api.md").read_text(), re.M):
        module, _, name = target.rpartition(".")
        assert hasattr(importlib.import_module(module), name), target
