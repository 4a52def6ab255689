"""Page weight: what a reader's browser downloads for each math article, on an empty cache.

Imports the real sample (../shared/corpus) into SQLite, runs collectstatic (hashed, compressed
files), serves it as deployed: gunicorn behind nginx with deploy/quicktakes-locations.conf
(gzip, static files from disk). Then Debian's Chromium opens every published article whose
answer holds a formula, each in a new browser context (an empty cache), and counts the bytes
that came over the wire for it (DevTools' encodedDataLength: headers and compressed bodies):
the HTML, the CSS, the fonts the page actually asked for, and anything else it loaded.

    .venv/bin/python bench/bench_page_weight.py [--limit N] [--budget-kb 200]

Prints the heaviest pages, what they fetched, and whether the heaviest is within the budget
(issue 15: at most 200 KB).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

if not __package__:  # run as `python bench/bench_page_weight.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS, CORPUS_SEEDS, PYTHON, ROOT, free_port
from bench.wrk_compare import Bench, stop

CHROMIUM = "/usr/bin/chromium"


def math_articles(env) -> list[str]:
    code = (
        "from qa.models import Question; "
        "qs = Question.objects.published().filter(answer__html__contains='class=\"katex\"').select_related('subject'); "
        "print('\\n'.join(q.get_absolute_url() for q in qs))"
    )
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.startswith("/learn/")]


def kind(url: str, resource_type: str) -> str:
    if url.endswith(".woff2") or resource_type == "Font":
        return "fonts"
    if url.endswith(".css"):
        return "css"
    if resource_type == "Document":
        return "html"
    return "other"


def weigh(browser, url: str) -> dict:
    """Bytes over the wire for one page load on an empty cache, by kind, and the fonts asked for."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    requests, sizes = {}, Counter()
    fonts = []
    cdp.on("Network.responseReceived", lambda e: requests.__setitem__(e["requestId"], (e["response"]["url"], e["type"])))

    def finished(event):
        url, resource_type = requests.get(event["requestId"], ("?", "Other"))
        what = kind(url, resource_type)
        sizes[what] += event["encodedDataLength"]
        if what == "fonts":
            fonts.append(url.rsplit("/", 1)[-1])

    cdp.on("Network.loadingFinished", finished)
    response = page.goto(url, wait_until="load")
    assert response.status == 200, (url, response.status)
    page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
    page.wait_for_load_state("networkidle")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    return {"sizes": sizes, "total": sum(sizes.values()), "fonts": sorted(fonts), "scroll_width": scroll}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=CORPUS_SEEDS)
    parser.add_argument("--subjects", type=Path, default=CORPUS / "subjects.yaml")
    parser.add_argument("--limit", type=int, default=0, help="weigh only the first N math articles (0: all)")
    parser.add_argument("--budget-kb", type=float, default=200)
    parser.add_argument("--show", type=int, default=5, help="heaviest pages to list")
    args = parser.parse_args()
    args.postgres_url, args.threads, args.duration = "", 1, 0  # Bench's other settings: unused here
    if not shutil.which("nginx") or not Path(CHROMIUM).exists():
        sys.exit("nginx and chromium are needed: apt-get install -y nginx chromium")
    if not args.seeds.is_dir():
        sys.exit(f"no seed files at {args.seeds} (use --seeds DIR --subjects FILE)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="qt-weight-") as tmp:
        bench = Bench(args, Path(tmp))
        env = bench.database_env("sqlite")
        bench.manage(env, "collectstatic", "--noinput", "-v0")
        env = bench.build_database("sqlite")
        articles = math_articles(env)[: args.limit or None]
        app_port, static_port, proxy_port = free_port(), free_port(), free_port()
        gunicorn = nginx = None
        try:
            gunicorn = bench.start_gunicorn({**env, "PAGE_CACHE": "1"}, app_port)
            nginx = bench.start_nginx(app_port, static_port, proxy_port)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3)
                weights, sideways = {}, []
                for path in articles:
                    url = f"http://127.0.0.1:{proxy_port}{path}"
                    weights[path] = weigh(browser, url)
                    page = phone.new_page()
                    page.goto(url, wait_until="load")
                    if page.evaluate("document.documentElement.scrollWidth") > 390:
                        sideways.append(path)
                    page.close()
                browser.close()
        finally:
            stop(nginx)
            stop(gunicorn)

    ranked = sorted(weights.items(), key=lambda item: item[1]["total"], reverse=True)
    print(f"\n{len(weights)} math articles weighed on an empty cache, behind nginx (gzip) as deployed")
    print("| Article | Total KB | HTML | CSS | Fonts | Other | Font files |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for path, weight in ranked[: args.show]:
        s = weight["sizes"]
        print(f"| {path} | {weight['total'] / 1024:.1f} | {s['html'] / 1024:.1f} | {s['css'] / 1024:.1f} | "
              f"{s['fonts'] / 1024:.1f} | {s['other'] / 1024:.1f} | {len(weight['fonts'])} |")
    totals = sorted(w["total"] for w in weights.values())
    heaviest_path, heaviest = ranked[0]
    print(f"\nmedian {totals[len(totals) // 2] / 1024:.1f} KB, heaviest {heaviest['total'] / 1024:.1f} KB "
          f"({heaviest_path}); fonts it fetched: {', '.join(heaviest['fonts'])}")
    within = heaviest["total"] <= args.budget_kb * 1024
    print(f"{'met' if within else 'NOT met'}: the heaviest math article at most {args.budget_kb:.0f} KB")
    print(f"{'met' if not sideways else 'NOT met'}: no math page scrolls sideways at 390 px "
          f"({len(sideways)} of {len(weights)} do{': ' + ', '.join(sideways[:5]) if sideways else ''})")


if __name__ == "__main__":
    main()
