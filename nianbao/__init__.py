"""nianbao's application layer: the command line, scheduler, notifications, web interface and demo portals."""
