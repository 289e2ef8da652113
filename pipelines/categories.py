"""Names shared by the per-document code and the schemas: categories and attribute columns.

Kept apart from :mod:`pipelines.storage.schemas` so that worker processes, which only compute rows,
do not import pyarrow (~45 MB each).
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "First Party Collection/Use",
    "Third Party Sharing/Collection",
    "User Choice/Control",
    "User Access, Edit and Deletion",
    "Data Retention",
    "Data Security",
    "Policy Change",
    "Do Not Track",
    "International and Specific Audiences",
    "Other",
)

# Attribute columns shared by clauses (per clause) and policies (union over clauses); all are
# lists of strings but retention_days (lists of int32).
ATTRIBUTE_NAMES: tuple[str, ...] = (
    "data_types",
    "third_parties",
    "purposes",
    "choices",
    "retention_days",
    "contact_emails",
    "contact_urls",
    "postal_addresses",
    "laws",
    "countries",
)


def category_field_name(category: str) -> str:
    """Column-safe name of a category: 'User Choice/Control' -> 'user_choice_control'."""
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in category)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")
