from pipelines.documents import _main

_main()
