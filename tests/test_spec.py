"""voipdesk.spec (the PyInstaller bundle) against the source tree: what it ships, what it leaves
out, the icons it generates, and the windowed-program case the bundle creates on Windows.

The spec is not run here (that needs PyInstaller and takes half a minute: .ci/build-bundle does
it); its constants and helper functions are loaded from it directly."""

from __future__ import annotations

import ast
import os
import re
import struct
import sys
import tomllib
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "voipdesk.spec"


def _load_spec() -> dict:
    """The spec's imports (not PyInstaller's), UPPER_CASE constants and functions, run up to the
    Analysis() call."""
    tree = ast.parse(SPEC.read_text("utf-8"), str(SPEC))
    keep: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "a" for t in node.targets
        ):
            break  # a = Analysis(...): the build proper starts here
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names]
            if not any(name.startswith("PyInstaller") for name in names):
                keep.append(node)
        elif isinstance(node, ast.FunctionDef) or (
            isinstance(node, ast.Assign)
            and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)
        ):
            keep.append(node)
    namespace: dict = {"SPECPATH": str(ROOT), "__name__": "voipdesk_spec"}
    exec(compile(ast.Module(keep, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


spec = _load_spec()


def _sources() -> list[Path]:
    return sorted((ROOT / "voipdesk").rglob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    """Absolute module names a source file imports, including `from X import Y` as X.Y (Y may
    be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_version_comes_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert spec["VERSION"] == project["version"]


def test_every_resource_is_listed_and_exists():
    listed = spec["RESOURCES"]
    missing = [name for name in listed if not (ROOT / "resources" / name).is_file()]
    assert not missing, f"voipdesk.spec lists resources that do not exist: {missing}"
    on_disk = {
        path.name
        for path in (ROOT / "resources").iterdir()
        if path.is_file() and path.suffix != ".pyc"
    }
    assert on_disk - set(listed) == set(), (
        "files in resources/ the bundle would leave out: add them to RESOURCES in voipdesk.spec"
    )
    assert not any("screenshot" in name for name in listed)


def test_resources_the_code_loads_are_in_the_bundle():
    pattern = re.compile(r"""\bresource\(\s*["']([^"']+)["']""")
    used = {name for path in _sources() for name in pattern.findall(path.read_text("utf-8"))}
    assert used, "expected voipdesk code to load resources through voipdesk.paths.resource()"
    assert used <= set(spec["RESOURCES"]), f"not shipped: {sorted(used - set(spec['RESOURCES']))}"


def test_nothing_the_app_imports_is_excluded():
    excluded = spec["_excluded"]
    offending = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources()
        for module in _imported_modules(path)
        if excluded(module)
    )
    assert not offending, f"voipdesk.spec excludes modules the app imports: {offending}"
    for needed in (
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtNetwork",  # the local socket a second start raises the window through
        "yaml",
        "phonenumbers",
    ):
        assert not excluded(needed)


def test_qt_modules_in_use_are_the_ones_the_spec_expects():
    qt = {
        module.split(".")[1]
        for path in _sources()
        for module in _imported_modules(path)
        if module.startswith("PySide6.") and module.count(".") >= 1
    }
    qt = {name for name in qt if name.startswith("Qt")}
    assert qt <= {"QtCore", "QtGui", "QtWidgets", "QtNetwork"}, (
        f"the app now imports {sorted(qt)}: check QT_UNUSED and the plugins in voipdesk.spec"
    )


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",  # --self-test
        "PySide6/Qt/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",  # the app icon
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libQt6Network.so.6",  # QLocalServer / QLocalSocket
        "PySide6/plugins/platforms/qwindows.dll",  # the Windows wheel's layout
        "PySide6/plugins/imageformats/qsvg.dll",
        "PySide6/Qt6Gui.dll",
        "voipdesk/resources/voipdesk.svg",
    ],
)
def test_what_the_app_needs_is_kept(dest):
    assert not spec["_unwanted"](dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
        "PySide6/plugins/tls/qschannelbackend.dll",
        "PySide6/translations/qtbase_fr.qm",  # the Windows wheel's layout
        "PySide6\\plugins\\imageformats\\qpdf.dll",
    ],
)
def test_what_the_app_does_not_need_is_dropped(dest):
    assert spec["_unwanted"](dest)


def test_generated_icons_are_readable(qapp, tmp_path):
    from PySide6.QtGui import QImageReader

    ico = Path(spec["windows_icon"](tmp_path / "voipdesk.ico"))
    data = ico.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1), "not an icon (1) file"
    for index in range(count):
        width, height, _, _, planes, bpp, size, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        png = data[offset : offset + size]
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) == size
        png_width, png_height = struct.unpack(">II", png[16:24])  # IHDR
        assert (width or 256, height or 256) == (png_width, png_height)
        assert (planes, bpp) == (1, 32)
    reader = QImageReader(str(ico), b"ico")
    assert reader.canRead(), reader.errorString()
    sizes = set()
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        sizes.add(reader.read().width())
    assert {16, 32, 48, 256} <= sizes

    icns = Path(spec["macos_icon"](tmp_path / "voipdesk.icns"))
    assert icns.read_bytes()[:4] == b"icns"
    assert int.from_bytes(icns.read_bytes()[4:8], "big") == icns.stat().st_size
    image = QImageReader(str(icns), b"icns").read()
    assert not image.isNull() and image.width() >= 128


def test_windowed_program_gets_a_stdout(monkeypatch):
    """The Windows bundle's voipdesk.exe has sys.stdout = sys.stderr = None; pyngrok's installer
    writes its progress to sys.stdout unguarded."""
    from pyngrok import installer

    from voipdesk import cli

    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    monkeypatch.setattr(installer, "_print_progress_enabled", True)
    cli._ensure_stdio()
    try:
        installer._print_progress("Downloading ngrok: 50%")
        print("no crash")
    finally:
        sys.stdout.close()
        sys.stderr.close()


@pytest.mark.parametrize(
    ("frozen", "before", "after"),
    [
        (True, {"LD_LIBRARY_PATH": "/bundle/_internal"}, {}),
        (
            True,
            {"LD_LIBRARY_PATH": "/bundle/_internal", "LD_LIBRARY_PATH_ORIG": "/opt/lib"},
            {"LD_LIBRARY_PATH": "/opt/lib"},
        ),
        (False, {"LD_LIBRARY_PATH": "/opt/lib"}, {"LD_LIBRARY_PATH": "/opt/lib"}),
    ],
)
def test_programs_the_bundle_starts_get_the_users_libraries(monkeypatch, frozen, before, after):
    """PyInstaller's Linux launcher sets LD_LIBRARY_PATH to the bundle; children (xdg-open and
    the browser behind a link) must not inherit it."""
    from voipdesk import cli

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "frozen", frozen, raising=False)
    for name in ("LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in before.items():
        monkeypatch.setenv(name, value)
    cli._restore_library_path()
    now = {n: os.environ[n] for n in ("LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG") if n in os.environ}
    assert now == after
