# Rules of the report topic (see the README).
