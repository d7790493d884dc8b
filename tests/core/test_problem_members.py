"""RFC 9457: a problem's ``status`` member is the HTTP status, never a domain state (issue 15, item 11)."""

from __future__ import annotations

import pytest

from comptoir.core.errors import Conflict, NotFound


def test_a_domain_state_travels_beside_the_http_status() -> None:
    # given a conflict raised with the state of the thing it is about
    problem = Conflict("Order CMD-1 is cancelled.", state="cancelled", allowed=[])
    # when it becomes a problem document
    body = problem.to_dict("/v1/orders/ord_1")
    # then status is the HTTP status and the state has its own member
    assert body == {
        "type": "urn:comptoir:problem:conflict",
        "title": "Conflict with the current state",
        "status": 409,
        "detail": "Order CMD-1 is cancelled.",
        "instance": "/v1/orders/ord_1",
        "state": "cancelled",
        "allowed": [],
    }


@pytest.mark.parametrize("member", ["status", "type", "title", "instance"])
def test_an_extension_may_not_take_a_member_rfc_9457_defines(member: str) -> None:
    # given / when a raiser passes an RFC 9457 member as an extension / then it is refused loudly
    with pytest.raises(TypeError, match=member):
        NotFound("Nothing here.", **{member: "placed"})
