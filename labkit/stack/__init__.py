"""labkit/stack"""
