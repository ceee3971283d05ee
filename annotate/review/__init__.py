"""The review site: where annotators disagree, article by article, as static files a browser opens offline.

One layer per module:

- ``data``: what the site shows, gathered from the workspace (records, the agreement report, gold and its
  conflicts, adjudications, pre-annotations, rounds);
- ``charts``: the overview's charts as inline SVG;
- ``site``: the files on disk (``index.html``, the script and style in ``static/``, the data as JS files).
"""

from annotate.review.data import ProjectLink, Review, gather
from annotate.review.site import CHUNK_SIZE, SiteSummary, review, write_overview, write_site

__all__ = ["CHUNK_SIZE", "ProjectLink", "Review", "SiteSummary", "gather", "review", "write_overview", "write_site"]
