"""`nianbao portals import` as an operator uses it: GBK files from Excel, every row checked and reported, a name
given twice refused, and a re-import that never wipes the column URLs configured since."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import main
from storage import Archive, PortalSpec

HEADER = "name,homepage,column_urls,region,region_code,level,cms,display_name\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["portals", "import", *args])
    return result.exit_code, result.output


def test_a_gbk_csv_as_excel_writes_it_is_read(sqlite_url: str, tmp_path: Path) -> None:
    file = tmp_path / "portals.csv"
    file.write_bytes((HEADER + "pingtan,https://www.pingtan.gov.cn/,https://www.pingtan.gov.cn/zwgk/zfxxgknb/,"
                      "福建省平潭综合实验区,350128,county,trs,平潭综合实验区管委会\n"
                      "qianjiang,http://cqqj.gov.cn/,,重庆市黔江区,500114,district,,黔江区人民政府\n").encode("gbk"))
    code, output = run(str(file), "--db", sqlite_url)
    assert code == 0, output
    assert "imported 2 portal(s)" in output
    pingtan = Archive(sqlite_url).get_portal("pingtan")
    assert pingtan is not None and pingtan.region == "福建省平潭综合实验区"
    assert pingtan.display_name == "平潭综合实验区管委会"


def test_every_bad_row_is_reported_and_nothing_is_imported(sqlite_url: str, tmp_path: Path) -> None:
    file = tmp_path / "portals.csv"
    file.write_text(HEADER
                    + "good,http://good.test/,,,,county,,\n"
                    + "badlevel,http://a.test/,,,,城市,,\n"
                    + "badurl,notaurl,ftp://b.test/x,,,county,,\n"
                    + "good,http://again.test/,,,,county,,\n"
                    + "toolong,http://c.test/,,,1234567890123,county,,\n", encoding="utf-8")
    code, output = run(str(file), "--db", sqlite_url)
    assert code == 1
    lines = output.strip().splitlines()
    assert lines == [
        f"{file}: line 3: level '城市' is not one of province, prefecture, county, district, township, street, "
        "department, central",
        f"{file}: line 4: 'notaurl' is not an http(s) URL; 'ftp://b.test/x' is not an http(s) URL",
        f"{file}: line 5: portal 'good' is already defined at line 2",
        f"{file}: line 6: region_code longer than 12 characters",
        f"Error: 4 bad entries in {file}: nothing imported",
    ]
    assert Archive(sqlite_url).list_portals() == []


def test_reimporting_keeps_configured_columns(sqlite_url: str, tmp_path: Path) -> None:
    archive = Archive(sqlite_url)
    archive.add_portal(PortalSpec(name="daan", homepage="http://www.daan.gov.cn/",
                                  column_urls=("http://www.daan.gov.cn/zwgk/zfxxgknb/",), level="county"))
    file = tmp_path / "homepages.csv"
    file.write_text("name,homepage,region\ndaan,http://www.daan.gov.cn/,吉林省白城市大安市\n", encoding="utf-8")
    code, output = run(str(file), "--db", sqlite_url)
    assert code == 0 and "1 updated" in output, output
    assert archive.get_portal("daan") == PortalSpec(
        name="daan", homepage="http://www.daan.gov.cn/", column_urls=("http://www.daan.gov.cn/zwgk/zfxxgknb/",),
        region="吉林省白城市大安市", level="county")


def test_the_starter_registry_imports(sqlite_url: str) -> None:
    code, output = run("--starter", "--db", sqlite_url)
    assert code == 0 and "starter portal(s) (unverified)" in output, output
    assert len(Archive(sqlite_url).list_portals()) > 10
