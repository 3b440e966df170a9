# Rules of the stores topic (see the README).
