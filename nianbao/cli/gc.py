"""`nianbao gc`: keep the files beside the archive from growing forever.

Two things only grow on their own. The **file store** keeps the original bytes of every attachment by
content; a file stops being needed only when no report refers to it any more (a crawl killed between
storing a file and recording its report, or a record removed by hand). Every file an archived report
refers to, in any of its versions, is kept. The **HTTP cache** keeps an entry per page ever fetched; an
entry not downloaded again for ``HTTPCACHE_EXPIRATION_SECS`` (60 days) is never used by a crawl (the
page is fetched in full once more), so it is dead weight. Leftovers of writes a killed crawl
interrupted go too.

Nothing is deleted without ``--delete``; nothing younger than ``--min-age-hours`` is deleted, because a
running crawl stores a file a moment before it records the report that refers to it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from crawler.incremental import cache_dir
from nianbao.cli.options import db_option, files_option
from nianbao.runner import crawl_settings
from storage import ArchiveError, open_archive
from storage.archive.files import FileStore
from storage.paths import beside_archive

_CACHE_META = "pickled_meta"  # written last in each entry by Scrapy's filesystem cache; its mtime is the entry's age


@dataclass
class Sweep:
    """What one place holds: how much is kept and what can go, with sizes."""

    place: str
    kept: int = 0
    removable: list[tuple[Path, int]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(size for _, size in self.removable)


def sweep_files(store: FileStore, keep: set[str], min_age: float) -> Sweep:
    """Stored files no report refers to, and temporary files of killed writes, older than ``min_age`` seconds."""
    sweep = Sweep(f"file store {store.root}")
    now = time.time()
    for sha, path in store.entries():
        stat = path.stat()
        if (sha is not None and sha in keep) or now - stat.st_mtime < min_age:
            sweep.kept += 1
        else:
            sweep.removable.append((path, stat.st_size))
    return sweep


def sweep_cache(root: Path, expiry: float, min_age: float) -> Sweep:
    """Cache entries (``<spider>/<xx>/<fingerprint>/``) older than ``expiry`` seconds (0: never), and staging
    directories a killed crawl left (no metadata) older than ``min_age``."""
    sweep = Sweep(f"HTTP cache {root}")
    now = time.time()
    for entry in sorted(root.glob("*/*/*")) if root.is_dir() else ():
        if not entry.is_dir():
            continue
        meta = entry / _CACHE_META
        written = meta if meta.is_file() else entry
        limit = expiry if written is meta else min_age
        if limit and now - written.stat().st_mtime > limit:
            sweep.removable.append((entry, sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())))
        else:
            sweep.kept += 1
    return sweep


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


@click.command()
@db_option
@files_option
@click.option("--delete", is_flag=True, help="Delete what is found; without it, only say what would be freed.")
@click.option("--min-age-hours", default=24.0, show_default=True,
              help="Never delete anything younger (a running crawl stores a file before recording its report).")
@click.option("-v", "--verbose", is_flag=True, help="List every path that is (or would be) deleted.")
def gc(db_url: str, files_dir: Path | None, delete: bool, min_age_hours: float, verbose: bool) -> None:
    """Free disk space: files no archived report refers to, and HTTP cache entries no crawl uses any more."""
    try:
        keep = open_archive(db_url).referenced_files()
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    settings = crawl_settings(db_url)
    min_age = min_age_hours * 3600
    sweeps = [sweep_files(FileStore(files_dir or beside_archive(db_url, ".files")), keep, min_age),
              sweep_cache(Path(cache_dir(settings)), settings.getfloat("HTTPCACHE_EXPIRATION_SECS"), min_age)]
    for sweep in sweeps:
        click.echo(f"{sweep.place}: {sweep.kept} kept, {len(sweep.removable)} to delete ({_mib(sweep.size)})")
        for path, _ in sweep.removable:
            if verbose:
                click.echo(f"  {path}")
            if delete:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    total = _mib(sum(s.size for s in sweeps))
    click.echo(f"{total} freed" if delete else f"dry run: nothing deleted; --delete frees {total}")
