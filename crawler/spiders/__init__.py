"""One spider per source kind: live, wayback."""
