"""The Twilio adapter: the inbound hotline flow over TwiML webhooks.

Each webhook is one step of :mod:`ivr.flow`, whose state is kept with the
call (``Call.flow_state``) between two of them. The Asterisk adapter
(:mod:`ivr.agi`) runs the same flow over one FastAGI session.

| module          | what it holds                                                  |
| --------------- | -------------------------------------------------------------- |
| `http.py`       | where calls come in: the ``/twilio`` blueprint                 |
| `signature.py`  | ``X-Twilio-Signature`` against the public URL                  |
| `services.py`   | the decisions: what each webhook does, and the fail-safe       |
| `turn.py`       | one webhook of one call: a flow step, its record, its state    |
| `endings.py`    | after the flow: queue result, on-call result, status callbacks |
| `outbound.py`   | the hotline's own calls: surveys, notices (``/twilio/outbound``) |
| `webhook.py`    | what Twilio posts, read as the flow's events (no I/O)          |
| `twiml.py`      | the flow's actions as TwiML (no I/O)                           |
| `store.py`      | what is kept between two webhooks (no I/O)                     |
| `settings.py`   | what the adapter needs to know, from the hotline's Config      |
| `exceptions.py` | what can go wrong                                              |
"""
