from pipelines.text.documents import _main

_main()
