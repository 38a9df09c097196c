"""The Content-Security-Policy of every page (web/__init__.py sets it; a page framed by its
own site, the questionnaire preview, relaxes frame-ancestors only)."""

#: Content-Security-Policy: no inline script anywhere; plotly needs inline style elements
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
