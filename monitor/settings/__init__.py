"""Configuration: every key declared once (registry), read and checked (config, sections, topics, alerts),
printed in effect with secrets masked (dump) and documented (docs). Imports nothing above monitor.text."""
