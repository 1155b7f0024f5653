"""HTML report pages → clean body text and metadata, in data-flow order.

``parse`` (the one parse of a page) → ``render`` (a subtree as lines) → ``body`` (which subtree is the
body) and ``metadata`` (title, dates, 索引号 fields) → ``extraction`` (:func:`extract`, the whole job).
"""
