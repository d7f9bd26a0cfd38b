"""What researchers take away: ZIPs, metadata, citations, feeds, OAI-PMH and the sitemap.

Everything here shows the public view only (published documents of published meetings,
not in the trash), whoever asks; OAI-PMH also reports withdrawn documents as deleted.
"""
