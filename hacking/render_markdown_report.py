"""Render a neo_secret_policy JSON report as the Markdown page, then as a PNG styled like GitHub (docs helper).

    python hacking/render_markdown_report.py REPORT.json OUT.png [OUT.md]

The Markdown is render_markdown() of the collection (what markdown_path writes), optionally saved
as OUT.md; it is turned into HTML with Python-Markdown (package ``markdown``, tables extension)
inside a small GitHub-like style sheet, and photographed by headless Chromium (``chromium`` or
``chromium-browser`` on PATH, or the CHROMIUM variable). The window is 1200 pixels wide and as
tall as the page (measured by a first headless pass; 900 if that fails). The temporary HTML
file is removed afterwards. Example (docs/images/policy-report.png):

    python hacking/render_markdown_report.py docs/images/policy-report.example.json \\
        docs/images/policy-report.png docs/images/policy-report.example.md
"""
import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
WIDTH = 1200
DEFAULT_HEIGHT = 900
MAX_HEIGHT = 8000

STYLE = """
body { margin: 0; padding: 24px 32px; background: #ffffff; color: #1f2328;
       font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
       font-size: 14px; line-height: 1.5; }
h2 { font-size: 1.5em; font-weight: 600; margin: 0 0 16px; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; }
p, ul, table { margin: 0 0 16px; }
table { display: block; width: max-content; max-width: 100%; overflow: auto; border-collapse: collapse; border-spacing: 0; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
tbody tr:nth-child(2n) { background: #f6f8fa; }
code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
       font-size: 85%; padding: .2em .4em; border-radius: 6px; background: rgba(129, 139, 152, .12); white-space: break-spaces; }
td code { white-space: nowrap; }
"""

# Puts the page height where --dump-dom shows it.
MEASURE = "<script>document.title = 'height=' + Math.ceil(document.documentElement.getBoundingClientRect().height);</script>"


def collection_importable():
    """Make ``ansible_collections.projectdiscovery.neo`` importable from the first entry of ANSIBLE_COLLECTIONS_PATH."""
    first = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
    if not first:
        raise SystemExit("render_markdown_report: set ANSIBLE_COLLECTIONS_PATH to a directory holding ansible_collections/projectdiscovery/neo "
                         "(after any pytest run, $PWD/collections: the tree pytest-ansible lays out)")
    sys.path.insert(0, first)


def chromium_command():
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            command = [shutil.which(candidate), "--headless", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
            return command
    raise SystemExit("render_markdown_report: no Chromium found (install chromium, or set CHROMIUM)")


def page(markdown_text, title):
    import markdown  # pylint: disable=import-error

    body = markdown.markdown(markdown_text, extensions=["tables"], output_format="html")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head>\n'
            '<body>\n%s\n%s\n</body></html>\n' % (html.escape(title), STYLE, body, MEASURE))


def page_height(command, url):
    try:
        dump = subprocess.run(command + ["--window-size=%d,%d" % (WIDTH, DEFAULT_HEIGHT), "--dump-dom", url],
                              capture_output=True, text=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_HEIGHT
    match = re.search(r"<title>height=(\d+)</title>", dump)
    return min(MAX_HEIGHT, int(match.group(1))) if match else DEFAULT_HEIGHT


def main(argv):
    if len(argv) not in (3, 4):
        raise SystemExit(__doc__.split("\n\n", 2)[1])
    report_path, png_path = pathlib.Path(argv[1]), pathlib.Path(argv[2]).resolve()
    collection_importable()
    from ansible_collections.projectdiscovery.neo.plugins.module_utils._neo_reports import render_markdown

    markdown_text = render_markdown(json.loads(report_path.read_text(encoding="utf-8")))
    if len(argv) == 4:
        pathlib.Path(argv[3]).write_text(markdown_text, encoding="utf-8")
    command = chromium_command()
    with tempfile.TemporaryDirectory(prefix="neo-report-") as work:
        html_path = pathlib.Path(work) / "report.html"
        html_path.write_text(page(markdown_text, report_path.name), encoding="utf-8")
        url = html_path.as_uri()
        height = page_height(command, url)
        png_path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(command + ["--window-size=%d,%d" % (WIDTH, height), "--screenshot=%s" % png_path, url],
                       capture_output=True, timeout=120, check=True)
    sys.stdout.write("%s: %dx%d\n" % (png_path, WIDTH, height))


if __name__ == "__main__":
    main(sys.argv)
