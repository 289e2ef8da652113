"""policyarchive's Scrapy project: settings, spiders, middlewares and archive clients."""
