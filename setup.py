# Scrapyd's `scrapyd-deploy` builds the project's egg with setup.py; all configuration is in
# pyproject.toml (packages crawler and pipelines, their data, the `scrapy` entry point).
from setuptools import setup

setup()
