"""The seed corpus: the documents the consortium anchors, byte for byte."""
