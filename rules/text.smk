# Rules of the text topic (see the README).
