"""How long moving a large WordPress site in takes: a generated export (default 10,000 posts
and 100,000 comments, threaded, with every status, categories in a hierarchy, tags, authors,
pingbacks) imported with ``dateline import-wordpress`` into an empty site on SQLite, then on
PostgreSQL + Redis; then the worker's share (the search and reference indexes of what came
in, queued by the import: ``dateline worker --batch``); then imported again (nothing to
change). Wall time and each process's peak memory (its own max RSS, from ``wait4``),
written to bench/results/.

    bash bench/run.sh import-wordpress [--posts N] [--comments N] [--no-postgres] [--no-sqlite]
                                       [--first-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, machine, postgres_and_redis, say

RESULTS = ROOT / "bench" / "results"
WORDS = [
    "river",
    "ferry",
    "council",
    "harbour",
    "market",
    "delta",
    "bridge",
    "water",
    "season",
    "crossing",
    "boats",
    "town",
    "report",
    "minister",
    "budget",
    "school",
    "farmers",
    "rain",
    "flood",
    "road",
    "repair",
    "night",
    "morning",
    "families",
    "witnesses",
    "port",
    "office",
    "timetable",
    "engineers",
    "silt",
    "dredging",
    "election",
    "vote",
    "summer",
]


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def generate(path: Path, *, posts: int, comments: int, seed: int = 7) -> None:
    """Write a WXR 1.2 export shaped like a real news site's."""
    rng = random.Random(seed)
    authors = [f"writer{i}" for i in range(20)]
    categories = [("news", ""), ("world", "news"), ("local", "news"), ("sport", ""),
                  ("football", "sport"), ("opinion", ""), ("culture", ""), ("books", "culture"),
                  ("business", ""), ("science", ""), ("health", "science"), ("weather", "")]  # fmt: skip
    tags = [f"tag-{i}" for i in range(200)]
    emails = [f"reader{i}@example.net" for i in range(3000)]
    # Comments per post: a long tail, as on a news site (most stories few, some hundreds).
    weights = [1 / (i + 1) ** 0.9 for i in range(posts)]
    rng.shuffle(weights)
    total = sum(weights)
    per_post = [int(comments * w / total) for w in weights]
    per_post[0] += comments - sum(per_post)
    comment_id = 1
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="https://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="https://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench Courier</title><link>https://bench.example.org</link>\n"
            "<wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_blog_url>https://bench.example.org</wp:base_blog_url>\n"
        )
        for login in authors:
            out.write(
                f"<wp:author><wp:author_login>{login}</wp:author_login>"
                f"<wp:author_email>{login}@bench.example.org</wp:author_email>"
                f"<wp:author_display_name>{_cdata(login.title())}</wp:author_display_name>"
                "</wp:author>\n"
            )
        for slug, parent in categories:
            out.write(
                f"<wp:category><wp:category_nicename>{slug}</wp:category_nicename>"
                f"<wp:category_parent>{parent}</wp:category_parent>"
                f"<wp:cat_name>{_cdata(slug.title())}</wp:cat_name></wp:category>\n"
            )
        for post_id in range(1, posts + 1):
            day = 1 + post_id % 28
            date = f"20{10 + post_id % 14:02d}-{1 + post_id % 12:02d}-{day:02d} {post_id % 24:02d}:15:00"
            slug = f"story-{post_id}"
            paragraphs = "".join(
                f"<!-- wp:paragraph -->\n<p>{_sentence(rng, rng.randint(25, 60))} "
                f'<strong>{rng.choice(WORDS)}</strong> <a href="https://example.org/{post_id}">link</a>.</p>\n'
                "<!-- /wp:paragraph -->\n\n"
                for _ in range(rng.randint(3, 8))
            )
            if post_id % 5 == 0:
                paragraphs += "<!-- wp:heading -->\n<h2>More</h2>\n<!-- /wp:heading -->\n\n"
            category, _parent = rng.choice(categories)
            status = "publish" if post_id % 50 else "draft"
            out.write(
                f"<item><title>{_cdata(_sentence(rng, 8))}</title>"
                f"<link>https://bench.example.org/{date[:10].replace('-', '/')}/{slug}/</link>"
                f"<dc:creator>{rng.choice(authors)}</dc:creator>"
                f'<guid isPermaLink="false">https://bench.example.org/?p={post_id}</guid>'
                f"<content:encoded>{_cdata(paragraphs)}</content:encoded>"
                f"<excerpt:encoded>{_cdata(_sentence(rng, 15))}</excerpt:encoded>"
                f"<wp:post_id>{post_id}</wp:post_id><wp:post_date>{date}</wp:post_date>"
                f"<wp:post_date_gmt>{date}</wp:post_date_gmt>"
                f"<wp:comment_status>open</wp:comment_status><wp:post_name>{slug}</wp:post_name>"
                f"<wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>"
                f"<wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="{category}">{_cdata(category.title())}</category>'
            )
            for tag in rng.sample(tags, 3):
                out.write(f'<category domain="post_tag" nicename="{tag}">{tag}</category>')
            first = comment_id
            for n in range(per_post[post_id - 1]):
                roll = rng.random()
                approved = (
                    "1"
                    if roll < 0.90
                    else "0"
                    if roll < 0.95
                    else "spam"
                    if roll < 0.98
                    else "trash"
                )
                parent = rng.randint(first, comment_id - 1) if n and rng.random() < 0.3 else 0
                kind = "pingback" if rng.random() < 0.01 else "comment"
                email = rng.choice(emails) if rng.random() < 0.95 else ""
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{_cdata('Reader ' + email.split('@')[0] if email else 'Anonymous')}</wp:comment_author>"
                    f"<wp:comment_author_email>{email}</wp:comment_author_email>"
                    f"<wp:comment_author_url></wp:comment_author_url>"
                    f"<wp:comment_author_IP>198.51.100.{comment_id % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date>{date}</wp:comment_date><wp:comment_date_gmt>{date}</wp:comment_date_gmt>"
                    f"<wp:comment_content>{_cdata(_sentence(rng, rng.randint(8, 40)))}</wp:comment_content>"
                    f"<wp:comment_approved>{approved}</wp:comment_approved>"
                    f"<wp:comment_type>{kind}</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
                )
                comment_id += 1
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``cmd``; wall seconds, its peak RSS in MB, and its last output lines."""
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, "\n".join(output.strip().splitlines()[:12])


def measure(
    export: Path, env: dict[str, str], label: str, *, first_only: bool
) -> dict[str, object]:
    dateline = str(Path(sys.executable).parent / "dateline")
    subprocess.run([dateline, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [dateline, "shell", "-c", "from dateline.newsroom import actions; actions.ensure_home_page()"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    say(f"{label}: importing {export.name}")
    first, first_mb, summary = _timed([dateline, "import-wordpress", str(export)], env)
    say(f"{label}: first import {first:.0f} s, peak {first_mb} MB\n{summary}")
    if first_only:
        return {"database": label, "first_seconds": round(first, 1), "first_peak_mb": first_mb,
                "summary": summary}  # fmt: skip
    indexing, indexing_mb, _out = _timed([dateline, "worker", "--batch"], env)
    say(f"{label}: the worker indexed what came in in {indexing:.0f} s, peak {indexing_mb} MB")
    again, again_mb, again_summary = _timed([dateline, "import-wordpress", str(export)], env)
    say(f"{label}: second import {again:.0f} s, peak {again_mb} MB\n{again_summary}")
    return {
        "database": label,
        "first_seconds": round(first, 1),
        "first_peak_mb": first_mb,
        "indexing_seconds": round(indexing, 1),
        "indexing_peak_mb": indexing_mb,
        "again_seconds": round(again, 1),
        "again_peak_mb": again_mb,
        "summary": summary,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--first-only", action="store_true", help="only the first import (no indexing, no second)"
    )
    options = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    export = RESULTS / f"wordpress-{options.posts}-{options.comments}.xml"
    if not export.exists():
        say(f"writing {export.name}")
        generate(export, posts=options.posts, comments=options.comments)
    say(f"{export.name}: {export.stat().st_size / 1e6:.0f} MB")
    results = []
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    with tempfile.TemporaryDirectory(prefix="dateline-import-bench-") as tmp:
        # The throwaway PostgreSQL runs as the postgres user, which must reach its folder.
        Path(tmp).chmod(0o755)
        if not options.no_sqlite:
            env = {**base, "DATELINE_DATA_DIR": str(Path(tmp) / "sqlite")}
            results.append(measure(export, env, "SQLite", first_only=options.first_only))
        if not options.no_postgres:
            pg_tmp = Path(tmp) / "pg"
            pg_tmp.mkdir()
            with postgres_and_redis(pg_tmp) as pg_env:
                if isinstance(pg_env, str):
                    say(f"PostgreSQL skipped: {pg_env}")
                else:
                    env = {**base, **pg_env, "DATELINE_DATA_DIR": str(Path(tmp) / "pgdata")}
                    results.append(
                        measure(export, env, "PostgreSQL + Redis", first_only=options.first_only)
                    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"import-wordpress-{stamp}.json"
    out.write_text(json.dumps({"machine": machine(), "posts": options.posts,
                               "comments": options.comments, "results": results}, indent=2))  # fmt: skip
    say(f"written to {out.relative_to(ROOT)}")
    for r in results:
        print(
            f"| {r['database']} | {r['first_seconds']} s | {r['first_peak_mb']} MB "
            f"| {r.get('indexing_seconds', '–')} s | {r.get('indexing_peak_mb', '–')} MB "
            f"| {r.get('again_seconds', '–')} s | {r.get('again_peak_mb', '–')} MB |"
        )
