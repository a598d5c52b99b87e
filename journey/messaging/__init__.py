"""Messages on the journey: connects the domains to the notifications package.

Registers, at start-up, what notifications needs from the domains (consent at send time, who
owns a phone number, what to do with inbound texts and opt-outs) and turns journey events into
named notifications in the participant's language.
"""
