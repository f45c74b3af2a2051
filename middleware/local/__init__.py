"""Development tools beside the product: the demo, the local stack, a private Redis and the
Zendesk simulator. They run the real processes the way a deployment does; the product never
imports them (an import-linter contract).
"""
