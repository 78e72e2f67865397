"""The dialer: the hotline's own calls (surveys 回访, notices, fee reminders, senior care).

Jobs (:class:`models.outbound.OutboundJob`) come due; a dialer claims them atomically,
commits one attempt per claim, then places the call through a provider, paced.
Several dialers may share one database: an attempt is placed by the dialer that
inserted it, once, and never again by anyone (see :mod:`ivr.dialer.claims`).

| module        | what it holds                                                           |
| ------------- | ----------------------------------------------------------------------- |
| `claims.py`   | the claim, the record of a placed call, release, the lapsed-claim sweep |
| `emergencies.py` | after-hours emergency calls become work orders (their ladders start) |
| `services.py` | ``Dialer.run_once`` (sweep, claim, place at the pace), ``DialerThread`` |
| `asterisk.py` | ``AsteriskProvider``: AMI ``Originate``, ``OriginateResponse`` outcomes |
| `plugin.py`   | the dialer and its provider from the configuration                      |

Twilio and the simulator are :mod:`ivr.outbound`'s providers; the calls' answers and
endings are the flows' (ivr/twilio, ivr/agi/survey.py), which find the attempt by its
correlation id ``attempt-<id>`` and hand the outcome to
:func:`models.survey_policy.after_attempt`.
"""
