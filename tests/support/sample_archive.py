"""A small archive with known contents for the search, export and web tests.

Reports are cut from the real seed texts, on portals in two provinces at county and street level,
with the awkward cases: a report seen on two portals, one without a publish date, ASCII case, ``%``,
and a hostile page whose title, text and URL carry script.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from storage import Archive, AttachmentRecord, PortalSpec, ReportRecord
from tests.support import DEMO_SEEDS

SEEDS = sorted(DEMO_SEEDS.glob("*.txt"))

PORTALS = (
    PortalSpec(name="xinfu", homepage="http://www.xinfu.nianbao.test/", region="辽宁省抚顺市新抚区",
               region_code="210402", level="county"),
    PortalSpec(name="zhanqian", homepage="http://zq.xinfu.nianbao.test/", region="辽宁省抚顺市新抚区站前街道",
               region_code="210402001", level="street"),
    PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/", region="吉林省白城市大安市",
               region_code="220882", level="county"),
    PortalSpec(name="changbai", homepage="http://www.changbai.nianbao.test/", region="吉林省白山市长白朝鲜族自治县",
               region_code="220623", level="county"),
)

XSS_TITLE = '<script>alert("title")</script>恶意页面2019年政府信息公开工作年度报告'
XSS_BODY = ('依申请公开情况 <img src=x onerror=alert("body")> 收到申请0件。\n'
            '<script>document.title="pwned"</script>本年度无行政复议。')
XSS_URL = "javascript:alert('url')"


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample report with the portals it is seen on (the oracle for expected answers)."""

    title: str
    body: str
    organ: str
    year: int | None
    published: dt.date | None
    portals: tuple[str, ...]
    url: str
    attachment: bool = False
    attachment_format: str = "pdf"
    findings: int | None = None  # statistics tables read with this many findings; None: no tables read


def _seed(index: int, chars: int = 600) -> str:
    return SEEDS[index % len(SEEDS)].read_text(encoding="utf-8")[:chars]


SAMPLES: tuple[Sample, ...] = (
    Sample("新抚区站前街道2017年政府信息公开工作年度报告", "一、概述\n站前街道2017年依申请公开收到申请0件。\n"
           + _seed(0),
           "新抚区站前街道办事处", 2017, dt.date(2018, 3, 20), ("zhanqian",), "http://zq.xinfu.nianbao.test/2018/1.html"),
    Sample("新抚区2017年政府信息公开工作年度报告", "新抚区人民政府2017年主动公开政府信息。\n" + _seed(1),
           "新抚区人民政府", 2017, dt.date(2018, 3, 28), ("xinfu",), "http://www.xinfu.nianbao.test/2018/2.html",
           attachment=True, findings=0),
    Sample("新抚区2023年政府信息公开工作年度报告", "2023年，依申请公开工作平稳。收到依申请公开申请12件。\n"
           + _seed(2),
           "新抚区人民政府", 2023, dt.date(2024, 1, 30), ("xinfu",), "http://www.xinfu.nianbao.test/2024/3.html",
           findings=0),
    Sample("大安市2019年政府信息公开工作年度报告", "大安市2019年政府信息公开。本年度收到依申请公开0件。ABC系统上线。\n"
           + _seed(3),
           "大安市人民政府办公室", 2019, dt.date(2020, 1, 15), ("daan",), "http://www.daan.nianbao.test/2020/4.html",
           attachment=True, attachment_format="docx", findings=2),
    Sample("大安市慧阳街道2023年信息公开工作年度报告", "慧阳街道2023年度报告。办结率100%。\n" + _seed(4),
           "大安市慧阳街道办事处", 2023, dt.date(2024, 2, 1), ("daan",), "http://www.daan.nianbao.test/2024/5.html"),
    Sample("长白县2023年政府信息公开工作年度报告", "长白朝鲜族自治县2023年政府信息公开。abc网站改版。\n"
           + _seed(0, 300),
           "长白朝鲜族自治县人民政府", 2023, None, ("changbai",), "http://www.changbai.nianbao.test/2024/6.html"),
    Sample("抚顺转载：大安市2021年政府信息公开工作年度报告", "大安市2021年报全文。依申请公开收到申请3件。\n"
           + _seed(1, 400),
           "大安市人民政府办公室", 2021, dt.date(2022, 1, 20), ("daan", "zhanqian"),
           "http://www.daan.nianbao.test/2022/7.html"),
    Sample(XSS_TITLE, XSS_BODY, "<b>恶意</b>机关", 2019, dt.date(2020, 2, 2), ("changbai",), XSS_URL),
)
# the repost in SAMPLES[6] is also seen on this second URL
SECOND_URL = "http://zq.xinfu.nianbao.test/zhuanzai/7.html"


def load(url: str, samples: tuple[Sample, ...] = SAMPLES) -> tuple[Archive, dict[str, int]]:
    """Register the portals, store the samples; returns the archive and {title: report id}."""
    archive = Archive(url)
    for spec in PORTALS:
        archive.add_portal(spec)
    for sample in samples:
        extra = ({"attachments": (_attachment_record(sample.url, sample.attachment_format),)}
                 if sample.attachment else {})
        for n, (portal, url) in enumerate(zip(sample.portals, (sample.url, SECOND_URL), strict=False)):
            archive.record(ReportRecord(url=url, content_sha256=hashlib.sha256(sample.body.encode()).hexdigest(),
                                        body=sample.body, title=sample.title, organ=sample.organ,
                                        report_year=sample.year, published=sample.published, portal=portal,
                                        **(extra if n == 0 else {})))
    ids = {row["title"]: row["id"] for row in archive.export(with_body=False)}
    for sample in samples:
        if sample.findings is not None:
            archive.record_statistics(hashlib.sha256(sample.body.encode()).hexdigest(), {"format": "2021"},
                                      [{"identity": f"sample {i}"} for i in range(sample.findings)])
    return archive, ids


def _attachment_record(url: str, fmt: str) -> AttachmentRecord:
    return AttachmentRecord(url=f"{url}.{fmt}", file_name=f"report.{fmt}", format=fmt, size=1, sha256="0" * 64,
                            status="ok", extractor="test")
