"""Archive clients: CDX parsing, capture selection and URL shapes of Wayback-style archives."""
