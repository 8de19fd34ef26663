"""Refresh the vendored JavaScript assets from npm (run by a developer, never at run time).

The app serves these files itself so that no page depends on a CDN: a hub often runs on a
partner network without internet access. Usage: `python -m odahub.web.vendor_assets`.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # noqa: S404  (runs the machine's npm with fixed arguments)
import sys
import tempfile
from pathlib import Path

# package -> (pinned version, files to copy from the package folder, licence file)
PACKAGES: dict[str, tuple[str, list[str], str]] = {
    "htmx.org": ("2.0.11", ["dist/htmx.min.js"], "LICENSE"),
    "vega": ("6.4.0", ["build/vega.min.js"], "LICENSE"),
    "vega-lite": ("6.4.3", ["build/vega-lite.min.js"], "LICENSE"),
    "vega-embed": ("7.3.0", ["build/vega-embed.min.js"], "LICENSE"),
    "leaflet": ("1.9.4", ["dist/leaflet.js", "dist/leaflet.css", "dist/images"], "LICENSE"),
}
# axe-core is only used by the browser tests, so it is vendored next to them, not served.
TEST_PACKAGES: dict[str, tuple[str, list[str], str]] = {
    "axe-core": ("4.14.1", ["axe.min.js"], "LICENSE"),
}

VENDOR = Path(__file__).parent / "static" / "vendor"


def npm_install(folder: Path, packages: dict[str, tuple[str, list[str], str]]) -> Path:
    specs = [f"{name}@{version}" for name, (version, _files, _licence) in packages.items()]
    subprocess.run(  # noqa: S603
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), *specs],  # noqa: S607
        check=True)
    return folder / "node_modules"


def copy_package(modules: Path, name: str, files: list[str], licence: str, out: Path) -> None:
    target = out / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for relative in [*files, licence]:
        source = modules / name / relative
        if source.is_dir():
            shutil.copytree(source, target / source.name)
        else:
            shutil.copy2(source, target / source.name)
    version = json.loads((modules / name / "package.json").read_text())["version"]
    (target / "VERSION").write_text(version + "\n")


def refresh(vendor: Path = VENDOR, tests_vendor: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        modules = npm_install(Path(tmp), {**PACKAGES, **TEST_PACKAGES})
        for name, (_version, files, licence) in PACKAGES.items():
            copy_package(modules, name, files, licence, vendor)
        if tests_vendor is not None:
            for name, (_version, files, licence) in TEST_PACKAGES.items():
                copy_package(modules, name, files, licence, tests_vendor)


if __name__ == "__main__":
    tests = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    refresh(tests_vendor=tests)
