"""Make the README's screenshot from the synthetic county, as a demo user sees it.

    .venv/bin/python -m tests.e2e.readme_screenshot [--out docs/img/screenshot.png]

Runs every stage over a synthetic county (`odahub demo`'s defaults) in a temporary home,
serves the app, logs in as the demo practitioner and photographs the person view of the
top-ranked household's most-known member: a synthetic person across the partners' datasets,
with risk scores and the explanation of one. Run it when the page changes on purpose;
the browser tests never touch the committed image (tests/e2e/test_readme_page.py walks the
same page over the test county and leaves its picture with the other artifacts).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from odahub.hub import Hub
from tests.e2e.serving import ARGS, CHROMIUM, ROOT, choose_purpose, log_in, serving

README_IMAGE = ROOT / "docs" / "img" / "screenshot.png"
USER = "practitioner"
MODELS = ("vulnerability", "da_escalation")  # the first the county could train is shown


def featured_person(hub: Hub) -> tuple[str, str]:
    """(person id, model): the member known to most agencies of the top-ranked household."""
    lake = hub.lake
    names = [m for m in MODELS if lake.latest("marts", f"risk_{m}") is not None]
    names += sorted(t[len("risk_"):] for t in lake.tables("marts")
                    if t.startswith("risk_") and t[len("risk_"):] not in names)
    if not names:
        raise SystemExit("no risk list in the marts: did the analyse stage run?")
    risk = lake.read_latest("marts", f"risk_{names[0]}").sort_by("rank").slice(0, 1).to_pylist()
    top = risk[0]
    if top.get("person_id"):
        return str(top["person_id"]), names[0]
    features = lake.read_latest("marts", "person_features").to_pylist()
    members = [f for f in features if f["household_id"] == top["household_id"]]
    best = max(members, key=lambda f: (f["agencies_ever"], f["person_id"]))
    return str(best["person_id"]), names[0]


def open_person(browser: Any, base_url: str, hub: Hub) -> Any:
    """The featured person as the demo practitioner sees them, one risk score explained."""
    person_id, model = featured_person(hub)
    page = log_in(browser, base_url, USER)
    page.goto(f"/persons/{person_id}")
    choose_purpose(page, USER)
    page.locator(f"#risk-{model} summary").click()
    page.locator(f"#risk-{model} li").first.wait_for()
    page.wait_for_load_state("networkidle")
    return page


def piped_hub(home: Path, persons: int, seed: int) -> Hub:
    from odahub.pipeline import PipelineState, run_pipeline
    from tests.conftest import make_hub

    hub = make_hub(home)
    run_pipeline(hub, PipelineState(synth_dir=home / "synth", persons=persons, seed=seed))
    return hub


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=README_IMAGE)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        hub = piped_hub(Path(folder) / "home", args.persons, args.seed)
        with serving(hub) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = open_person(browser, url, hub)
            page.screenshot(path=str(args.out))
            browser.close()
        hub.close()
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
