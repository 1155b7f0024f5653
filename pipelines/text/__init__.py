"""The text library the pipeline stages call: HTML extraction, chrome, classification, dates, encodings, documents."""
