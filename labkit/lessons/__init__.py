"""labkit/lessons"""
