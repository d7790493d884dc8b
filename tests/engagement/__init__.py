"""engagement: personalised message journeys (e-mail, SMS, push), their A/B variants and holdouts."""
