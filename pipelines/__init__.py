"""policyarchive pipelines: the pure document-processing path and its Scrapy glue.

Nothing here imports ``crawler``; dependencies run one way (crawler -> pipelines).
"""
