"""The call simulator: a phone in the browser that drives the Twilio webhooks.

The page (``templates/simulator/phone.html``, ``static/phone.js``; plain
JavaScript, no build step, nothing from a CDN) places a call as a demo
resident or any number, and executes the TwiML it gets back as Twilio would:
``<Say>`` shown and spoken, ``<Play>``, ``<Pause>``, ``<Gather>`` on a keypad
or a text box standing in for speech, ``<Record>``, ``<Redirect>``,
``<Enqueue>`` with its wait URL, ``<Dial>``, ``<Hangup>``. The server side
signs each request the page asks for (:mod:`.exchange`), so the webhooks check
signatures exactly as they do for Twilio.

| module        | what it holds                                                 |
| ------------- | ------------------------------------------------------------- |
| `http.py`     | where the page's requests come in: the ``/simulator`` blueprint |
| `exchange.py` | signing and posting the webhook requests, in process          |
| `calls.py`    | the simulated calls in progress and their queue places (no I/O) |
"""

from agent_console.simulator.http import create_blueprint

__all__ = ["create_blueprint"]
