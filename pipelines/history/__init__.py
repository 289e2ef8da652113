"""History: snapshot periods and what is derived from a site's versions."""
