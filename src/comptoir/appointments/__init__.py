"""appointments: omnichannel booking of store services (advisors, slots, holds, invitations)."""
