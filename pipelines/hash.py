"""Stage 3: the content hash that identifies a report across URLs, portals and fetches."""

from __future__ import annotations

import hashlib

from itemadapter import ItemAdapter


def content_hash(hash_text: str) -> str:
    """SHA-256 of the normalised text (see pipelines.normalise.hash_form)."""
    return hashlib.sha256(hash_text.encode("utf-8")).hexdigest()


class HashPipeline:
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        # A scan awaiting OCR has no text yet: its file's SHA-256 keeps it apart from other scans.
        adapter["content_sha256"] = content_hash(adapter["hash_text"]) if adapter["hash_text"] else (
            adapter["attachments"][0].sha256 if adapter["attachments"] else content_hash(""))
        return item
