"""The Asterisk Manager Interface (AMI) adapter: queue and agent events tied to our calls.

After the FastAGI flow the dialplan queues the call with ``Queue()``; what
happens next (the caller joins the queue, agents' phones ring, one answers,
someone hangs up) reaches us only as AMI events. This package listens for them,
records each on our Call, and announces it on the event bus for the console.

| module           | what it holds                                                         |
| ---------------- | --------------------------------------------------------------------- |
| `settings.py`    | `HOTLINE_AMI_URL` (``ami://user:secret@host:5038``) parsed            |
| `connection.py`  | one AMI session over pyst2's ``Manager`` (its pitfalls worked around) |
| `events.py`      | an AMI event as what it means for one of our calls; no I/O            |
| `tracker.py`     | CallEvent rows, Call updates and bus events for those meanings        |
| `listener.py`    | the thread that keeps a session up, with reconnects and pings         |
| `service.py`     | wiring from the configuration                                         |
| `exceptions.py`  | what can go wrong talking to Asterisk                                 |
"""
