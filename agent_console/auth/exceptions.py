"""Why a login was refused.

HotlineError
 └── LoginRefused            wrong login or password (never says which)
      ├── AgentInactive      the password was right, but the account is switched off
      └── TooManyAttempts    too many recent failures for this login or address
"""

from __future__ import annotations

from hotline.exceptions import HotlineError


class LoginRefused(HotlineError):
    """The login or the password is wrong; which one is not revealed."""


class AgentInactive(LoginRefused):
    """The password matched an agent who may no longer log in."""


class TooManyAttempts(LoginRefused):
    """Recent failures for this login or from this address: wait before trying again."""
