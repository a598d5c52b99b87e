"""Accessibility checks in the browser tests: axe-core, vendored (tests/web/vendor), run in the page.

The script is injected through the DevTools protocol, not a <script> tag, so a page's own
Content-Security-Policy (script-src 'none' on the server-rendered pages) does not block it and
the pages need no test-only exception.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE_SOURCE = Path(__file__).with_name("vendor") / "axe.min.js"


def _inject(page) -> None:
    if page.js("typeof window.axe === 'object'"):
        return
    # One Runtime.evaluate of the whole file (about 650 kB): the DevTools pipe takes messages far
    # larger than that, so there is no need to cut it up. The trailing `true` keeps the reply small.
    page.js(AXE_SOURCE.read_text(encoding="utf-8") + "\n;true")
    assert page.js("typeof window.axe === 'object'"), "axe-core did not load"


def violations(page, *, impacts=("serious", "critical"), exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it stands now."""
    _inject(page)
    # axe's context object: the whole document, less the regions named by CSS selector.
    context_js = (json.dumps({"include": [["html"]], "exclude": [[s] for s in exclude]})
                  if exclude else "document")
    found = page.js(
        f"axe.run({context_js}, {{resultTypes: ['violations']}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))"
    )
    return [v for v in found if v["impact"] in impacts]


def assert_accessible(page, *, impacts=("serious", "critical"), exclude: tuple[str, ...] = ()) -> None:
    """Fail listing every axe-core violation of these impacts (rule, impact, help, nodes)."""
    found = violations(page, impacts=impacts, exclude=exclude)
    if not found:
        return
    lines = [f"{len(found)} accessibility violation(s) on {page.js('location.pathname')}:"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            if node.get("summary"):
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    raise AssertionError("\n".join(lines))
