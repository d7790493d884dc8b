"""engagement: personalised message journeys on every channel (e-mail, SMS, push)."""
