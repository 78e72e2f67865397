"""What can go wrong with a Twilio webhook.

TwilioWebhookError
├── NotFromTwilio      no X-Twilio-Signature, or not Twilio's for this URL and body (403)
├── MalformedWebhook   a signed request without what Twilio always sends, e.g. a usable CallSid
└── CallStateLost      a step arrived for a call whose flow state can be read nowhere
"""


class TwilioWebhookError(Exception):
    """Base of the Twilio adapter's errors."""


class NotFromTwilio(TwilioWebhookError):
    """The request does not carry Twilio's signature for this URL and these parameters."""


class MalformedWebhook(TwilioWebhookError):
    """A signed request that lacks what Twilio sends with every webhook."""


class CallStateLost(TwilioWebhookError):
    """Neither the database nor the request holds the call's flow state."""
