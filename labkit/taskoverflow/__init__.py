"""labkit/taskoverflow"""
