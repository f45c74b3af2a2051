"""An incident's life after its declaration, as the customers and the Head of Support see it.

``status`` follows the ticket (resolved, reopened, linked), ``messages`` sends the automatic
customer replies exactly once, ``review`` opens the post-incident review and its actions.
"""
