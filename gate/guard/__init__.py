"""The guard's touch UI at the gate: sign-in with a PIN, live camera, decisions, alarms,
visitor registration, manual open and the muster list (`create_guard_app`, `GuardServer`).

Kept import-light (nothing here is imported eagerly) so that the runtime can use
`gate.guard.visit_end` without pulling in the web stack.
"""
