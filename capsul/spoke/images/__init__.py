"""A spoke's OS images, known by their SHA-256 (docs/images.md): `store.py` keeps them under
their digest and removes those no disk uses; `fetcher.py` fetches the ones the spoke lacks."""
