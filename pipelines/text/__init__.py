"""Text stages: extraction, detection, segmentation, labels, attributes (pure)."""
