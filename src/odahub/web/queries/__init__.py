"""The logic layer behind pages and API routes: each function takes the serving context and the
principal (resolved at the edge), asks policy what may be seen, reads, and audits."""
