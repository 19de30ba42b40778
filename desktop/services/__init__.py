"""The use cases both front ends call: one module per use case, each a plain `run_<verb>(inputs, progress)`.

Above the core (domain, importers, economics, storage, exports) and below the front ends (`desktop.cli`,
`desktop.ui`): neither front end imports the other, and nothing here imports Qt.
"""
