"""policyarchive pipelines: the pure document-processing path and its Scrapy glue.

Grouped by role, as datatrove is:

* ``items`` (the contract spiders yield), ``process`` (the one pure per-document function),
  ``categories`` (names shared by the text stages and the schemas);
* ``text/``: the stages of a document (extract, detect, segment, classify, attributes);
* ``storage/``: Parquet schemas and writer, run state, export, WARC;
* ``history/``: snapshot periods and what is derived from a site's versions;
* ``steps/``: the Scrapy item-pipeline steps, thin glue around the above.

Nothing here imports ``crawler``; dependencies run one way (crawler -> pipelines).
"""
