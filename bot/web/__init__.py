"""The coaches' web dashboard: server-rendered pages (Starlette + Jinja2), no CDN."""
