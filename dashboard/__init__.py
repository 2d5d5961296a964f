"""Dashboard helpers: published-database queries, charts, maps and translations used by app_pages/."""
