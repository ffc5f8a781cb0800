"""`labkit grade`: a course's submitted notebooks -> marks, feedback and a class dashboard.

One job is one student x one lesson: the notebook runs headless in a sandbox (its own folder,
emulator account, limits), the answers its checks were given are recorded, and the grader then
judges them itself in a fresh process (`evaluate`), so nothing the notebook prints or patches
counts. Modules: `released` (what the course handed out), `collect` (who handed in what),
`sandbox` (limits), `execute` (one notebook), `evaluate` (the marks), `cells` (changed cells),
`job` (one student x lesson), `reports` and `dashboard` (outputs), `fanout` (--jobs/--broker),
`commands` (the CLI).
"""
