"""Scrapy item-pipeline steps: thin glue around the pure document path."""
