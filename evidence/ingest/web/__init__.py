"""Capturing a link: the page as served (WARC packed as WACZ), its media (yt-dlp), a screenshot (a
headless Chromium when one is found)."""
