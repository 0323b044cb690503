"""What LibreOffice sees in macro-enabled workbooks: their VBA modules, sheet code names and
buttons, and what the button subs do when run. Runs under /usr/bin/python3 (UNO does not import
in a venv), one LibreOffice start for everything:

    /usr/bin/python3 tests/uno_vba.py OUT.json [--inspect WORKBOOK ...] [--run WORKBOOK ...]

Writes JSON to OUT.json: for each workbook (by its path) ``modules`` {library.module: type},
``code_names`` {sheet: code name}, ``buttons`` [{sheet, label, events}], and for ``--run``
workbooks ``runs`` {script URL: text in Start!Z1 afterwards} — each button's bound script is
run, and a stub RunPython in that workbook writes the command it was given to Start!Z1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue

MODULE_TYPES = {0: "unknown", 1: "normal", 2: "class", 3: "form", 4: "document"}
ALWAYS_EXECUTE_NO_WARN = 4


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe, process, timeout=120):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + timeout
    while True:
        try:
            return resolver.resolve(
                f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.time() > deadline or process.poll() is not None:
                raise
            time.sleep(0.3)


def modules(doc):
    libraries = doc.BasicLibraries
    out = {}
    for lib_name in libraries.getElementNames():
        library = libraries.getByName(lib_name)
        for name in library.getElementNames():
            kind = "unknown"
            if libraries.hasByName(lib_name) and hasattr(library, "hasModuleInfo") and \
                    library.hasModuleInfo(name):
                kind = MODULE_TYPES.get(library.getModuleInfo(name).ModuleType, "unknown")
            out[f"{lib_name}.{name}"] = kind
    return out


def buttons(doc):
    out = []
    for sheet_name in doc.Sheets.getElementNames():
        page = doc.Sheets.getByName(sheet_name).DrawPage
        forms = page.Forms
        for f in range(forms.getCount()):
            form = forms.getByIndex(f)
            for i in range(form.getCount()):
                control = form.getByIndex(i)
                events = form.getScriptEvents(i)
                out.append({
                    "sheet": sheet_name,
                    "label": getattr(control, "Label", ""),
                    "events": [{"listener": e.ListenerType, "method": e.EventMethod,
                                "type": e.ScriptType, "code": e.ScriptCode}
                               for e in events],
                })
    return out


def run_buttons(doc, found, cell="Z1"):
    """Run each button's bound script as a click would, and read what the stub recorded."""
    provider = doc.getScriptProvider()
    start = doc.Sheets.getByName("Start")
    runs = {}
    for button in found:
        for event in button["events"]:
            start.getCellRangeByName(cell).setString("")
            try:
                provider.getScript(event["code"]).invoke((), (), ())
                runs[event["code"]] = start.getCellRangeByName(cell).getString()
            except Exception as exc:  # reported, not raised: the test says which failed
                runs[event["code"]] = f"ERROR: {exc}"
    return runs


def code_names(doc):
    sheets = doc.Sheets
    return {name: sheets.getByName(name).CodeName for name in sheets.getElementNames()}


def inspect(desktop, path, run):
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (
        prop("Hidden", True), prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN)))
    if doc is None:
        raise SystemExit(f"LibreOffice could not load {path}")
    try:
        result = {"modules": modules(doc), "code_names": code_names(doc),
                  "buttons": buttons(doc)}
        if run:
            result["runs"] = run_buttons(doc, result["buttons"])
        return result
    finally:
        doc.close(True)


@contextlib.contextmanager
def libreoffice_desktop():
    """A headless LibreOffice of its own (a fresh profile, a private pipe) and its Desktop;
    LibreOffice is ended and its profile removed afterwards, whatever happened."""
    profile = tempfile.mkdtemp(prefix="qa_xl_uno_")
    pipe = f"qa_xl_{uuid.uuid4().hex}"
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    process = subprocess.Popen(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
         "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        context = connect(pipe, process)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context)
        yield desktop
        with contextlib.suppress(Exception):  # the bridge drops as LibreOffice exits
            desktop.terminate()
    finally:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--inspect", nargs="*", default=[])
    parser.add_argument("--run", nargs="*", default=[])
    args = parser.parse_args()
    with libreoffice_desktop() as desktop:
        result = {path: inspect(desktop, path, run=False) for path in args.inspect}
        result.update({path: inspect(desktop, path, run=True) for path in args.run})
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
