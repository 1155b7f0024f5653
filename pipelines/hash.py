"""Stage 3: the content hash that identifies a report across URLs, portals and fetches."""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipelines.text.fingerprint import content_hash


class HashPipeline:
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        # A scan awaiting OCR has no text yet: its file's SHA-256 keeps it apart from other scans.
        adapter["content_sha256"] = content_hash(adapter["hash_text"]) if adapter["hash_text"] else (
            adapter["attachments"][0].sha256 if adapter["attachments"] else content_hash(""))
        return item
