"""The analysts' desk: a right-to-left web interface and a JSON API over the store, served by `monitor run`."""
