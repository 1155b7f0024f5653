"""Stage 4: recognise a page already archived with this very content, the usual case on re-crawls.

Such a page only needs its sighting's ``last_seen`` moved; the store stage then has nothing to
write. Everything else (new content, changed content, a known text at a new URL) goes on to the
store, whose unique constraints settle races between concurrent crawls.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipelines.components import RUN_ID, ArchiveComponent
from storage import Outcome


class DedupePipeline(ArchiveComponent):
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        assert self.crawler.stats is not None
        if self.archive.touch_if_unchanged(adapter["url"], adapter["content_sha256"],
                                           run_id=self.crawler.stats.get_value(RUN_ID),
                                           http_status=adapter["http_status"]):
            adapter["outcome"] = Outcome.UNCHANGED.value
        return item
