"""Fake provider servers on loopback, for the real SDKs to talk to (DESIGN.md, Testing).

    server.py     FakeHTTPServer: threaded, random port, records requests, scripted replies
    sendgrid.py   POST /v3/mail/send → 202 + X-Message-Id
    twilio.py     POST /2010-04-01/Accounts/<sid>/Messages.json → 201 {"sid": "SM…"}
    smtp.py       a tiny SMTP server that keeps what it receives
    fixtures.py   pytest fixtures `fake_sendgrid`, `fake_twilio`, `fake_smtp` (they point
                  the settings at the fakes); loaded by the root conftest
"""
