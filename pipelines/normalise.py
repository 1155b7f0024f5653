"""Stage 2: tidy the stored text and derive the form that is hashed (``pipelines.text.fingerprint``)."""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipelines.text.fingerprint import hash_form, tidy


class NormalisePipeline:
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        adapter["text"] = tidy(adapter["text"])
        adapter["hash_text"] = hash_form(adapter["text"])
        return item
