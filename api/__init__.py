"""HTTP API of LEARN Navigator (FastAPI): a thin shell over ``learn``; start it with ``learn serve``.

``learn`` never imports this package.
"""
