"""The workbench (``/workbench/``): where charity staff, overseers and regulators sign in and work.

Server-rendered pages on the same Litestar app as the public site. Signing keys are created in and
stay in the user's browser; the server only ever sees public keys and signed entries.
"""
