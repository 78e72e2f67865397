"""Dispatch: available agents get the longest-waiting caller of the highest priority,
and residents who chose a callback are called back at their place in line.

| module        | what it holds                                                          |
| ------------- | ---------------------------------------------------------------------- |
| `decide.py`   | ``next_assignment``: who takes what (no I/O)                            |
| `services.py` | ``Dispatcher.run_once`` and its thread: read, reserve, connect, call back |
| `connect.py`  | putting a chosen caller through: Twilio's UpdateCall, or the simulator |
| `webhooks.py` | the callback offer, the callback call and the agent's leg (Twilio)     |
| `twiml.py`    | their TwiML (no I/O)                                                   |
"""
