"""The main window's pages. Each page binds to the open document and redraws on its `changed` signal."""
