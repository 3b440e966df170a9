# Rules of the tables topic (see the README).
