"""`nianbao portals add|list|remove|import`: the registry of portals to crawl."""

from __future__ import annotations

import json

import click

from crawler.cli.options import db_option
from storage import Archive, ArchiveError, PortalSpec
from storage.archive import portal_spec_to_mapping


@click.group()
def portals() -> None:
    """Manage the portal registry (name, homepage, report column URLs, region, level, CMS)."""


@portals.command("add")
@db_option
@click.argument("name")
@click.option("--homepage", metavar="URL")
@click.option("--column", "columns", multiple=True, metavar="URL", help="Report column URL (repeatable).")
@click.option("--display-name")
@click.option("--region", help="Region as printed, e.g. 吉林省白城市大安市.")
@click.option("--region-code", help="GB/T 2260 code, e.g. 220882.")
@click.option("--level", type=click.Choice(["province", "prefecture", "county", "district", "township", "street",
                                            "department", "central"]))
@click.option("--cms", type=click.Choice(["trs", "hanweb", "xxgk", "ucap", "generic"]), help="List protocol hint.")
@click.option("--replace", is_flag=True, help="Update the portal if it exists.")
def add(db_url: str, name: str, homepage: str | None, columns: tuple[str, ...], display_name: str | None,
        region: str | None, region_code: str | None, level: str | None, cms: str | None, replace: bool) -> None:
    """Add a portal to the registry."""
    try:
        spec = PortalSpec(name=name, homepage=homepage, column_urls=columns, display_name=display_name,
                          region=region, region_code=region_code, level=level, cms=cms)
        created = Archive(db_url).add_portal(spec, replace=replace)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'added' if created else 'updated'} portal {name}")


@portals.command("list")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_(db_url: str, fmt: str) -> None:
    """List the registry."""
    specs = Archive(db_url).list_portals()
    if fmt == "json":
        click.echo(json.dumps([portal_spec_to_mapping(s) for s in specs], ensure_ascii=False, indent=2))
        return
    for s in specs:
        where = " ".join(s.column_urls) or f"(homepage) {s.homepage}"
        click.echo(f"{s.name:<20} {s.display_name or '':<16} {s.level or '-':<10} {s.cms or '-':<7} {where}")
    click.echo(f"{len(specs)} portal(s)")


@portals.command("remove")
@db_option
@click.argument("name")
def remove(db_url: str, name: str) -> None:
    """Remove a portal from the registry (its reports stay archived)."""
    if not Archive(db_url).remove_portal(name):
        raise click.ClickException(f"no portal named {name!r}")
    click.echo(f"removed portal {name}")


@portals.command("import")
@db_option
@click.argument("file", type=click.Path(dir_okay=False))
def import_(db_url: str, file: str) -> None:
    """Load portals from a CSV (header: name,homepage,column_urls,region,region_code,level,cms,display_name),
    JSON list or JSON Lines file; existing names are updated."""
    try:
        n = Archive(db_url).import_portals(file)
    except (ArchiveError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {n} portal(s) from {file}")
