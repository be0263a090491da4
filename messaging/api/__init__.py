"""The messaging API: messages (read, resend), journeys with rules, templates with versions."""
