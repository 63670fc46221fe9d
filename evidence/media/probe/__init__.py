"""Probing: what a file is (sniffing), its container and stream metadata, image metadata."""
